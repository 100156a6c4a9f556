//! The GPU side of the monitor on a real device: the timestamp ring never waits yet loses
//! nothing when paced, and the synthetic load costs what it is asked to.

use std::time::Instant;

use quantsr_gpu::{timing_test_gpu, wgpu};
use quantsr_monitor::{SyntheticLoad, TimestampRing};

fn gpu_ms(ctx: &quantsr_gpu::GpuContext, record: impl FnOnce(&mut wgpu::CommandEncoder)) -> f64 {
    let start = Instant::now();
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    record(&mut encoder);
    ctx.queue.submit([encoder.finish()]);
    ctx.wait_idle().unwrap();
    start.elapsed().as_secs_f64() * 1e3
}

#[test]
fn synthetic_load_costs_roughly_what_is_asked() {
    // Alone on the device: these tests time it, and others of this file would queue work.
    let (ctx, _alone) = timing_test_gpu();
    let load = SyntheticLoad::new(&ctx).unwrap();
    let best =
        |ms: f64| (0..3).map(|_| gpu_ms(&ctx, |e| load.record_timed(&ctx.queue, e, ms, None))).fold(f64::MAX, f64::min);
    let (small, large) = (best(4.0), best(16.0));
    let ratio = large / small;
    // Wall clock includes a submit overhead of well under a millisecond on lavapipe.
    assert!((2.5..6.0).contains(&ratio), "4 ms took {small:.2} ms and 16 ms took {large:.2} ms");
}

#[test]
fn timestamp_ring_harvests_every_paced_frame_once_and_in_order() {
    // Alone on the device: these tests time it, and others of this file would queue work.
    let (ctx, _alone) = timing_test_gpu();
    assert!(ctx.caps.timestamps, "the device did not grant TIMESTAMP_QUERY");
    let load = SyntheticLoad::new(&ctx).unwrap();
    let mut ring = TimestampRing::new(&ctx.device, &ctx.queue, 3, 1);
    let mut harvested = Vec::new();
    let mut wall = Vec::new();
    let frames = 1000u64;
    for frame in 0..frames {
        ring.after_submit();
        harvested.extend(ring.harvest(&ctx.device));
        assert!(ring.begin_frame(frame), "frame {frame}: no free slot although every frame was paced");
        // Every 100th frame does real work, so durations differ.
        let ms = if frame % 100 == 0 { 3.0 } else { 0.0 };
        wall.push(gpu_ms(&ctx, |encoder| {
            load.record_timed(&ctx.queue, encoder, ms, ring.pass_writes());
            ring.end_frame(encoder);
        }));
    }
    ring.after_submit();
    ctx.wait_idle().unwrap();
    harvested.extend(ring.harvest(&ctx.device));
    assert_eq!(ring.dropped(), 0);
    let indices: Vec<u64> = harvested.iter().map(|t| t.frame_index).collect();
    assert_eq!(indices, (0..frames).collect::<Vec<_>>(), "every frame's timing arrives exactly once, in order");
    for t in harvested.iter().filter(|t| t.frame_index % 100 == 0) {
        let w = wall[t.frame_index as usize];
        assert!(
            t.pass_ms[0] > 0.5 && t.pass_ms[0] <= w * 1.05,
            "frame {}: {:.3} ms by timestamps, {w:.3} ms wall",
            t.frame_index,
            t.pass_ms[0]
        );
    }
}

/// Resolves `count` queries of `set` into a fresh buffer that can be read back directly.
fn resolve_directly(
    ctx: &quantsr_gpu::GpuContext,
    encoder: &mut wgpu::CommandEncoder,
    set: &wgpu::QuerySet,
    count: u32,
) -> wgpu::Buffer {
    let resolve = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("direct resolve"),
        size: u64::from(count) * 8,
        usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    encoder.resolve_query_set(set, 0..count, &resolve, 0);
    resolve
}

#[test]
fn timestamp_ring_values_equal_a_blocking_readback_and_nothing_leaks_over_1000_frames() {
    // A device of its own, so the object counts are not those of tests running beside it,
    // and the others' timing left alone while it runs.
    let _alone = timing_test_gpu().1;
    let ctx = quantsr_gpu::GpuContext::new_blocking(&Default::default()).expect("GPU tests need a device");
    assert!(ctx.caps.timestamps, "the device did not grant TIMESTAMP_QUERY");
    let load = SyntheticLoad::new(&ctx).unwrap();
    let mut ring = TimestampRing::new(&ctx.device, &ctx.queue, 3, 2);
    let frames = 1000u64;
    let mut direct = Vec::new();
    let mut harvested = Vec::new();
    let before = quantsr_gpu::resource_counts(&ctx).expect("the backend reports its objects");
    // The ring's 3 sets, and the load's own ring.
    assert!(before.buffers > 0 && before.query_sets >= 3, "{before:?}");
    for frame in 0..frames {
        ring.after_submit();
        harvested.extend(ring.harvest(&ctx.device));
        assert!(ring.begin_frame(frame), "frame {frame}: no free slot although every frame was paced");
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        let ms = if frame % 50 == 0 { 2.0 } else { 0.0 };
        load.record_timed(&ctx.queue, &mut encoder, ms, ring.pass_writes());
        load.record_timed(&ctx.queue, &mut encoder, 0.0, ring.pass_writes());
        // Every 100th frame, read the same queries directly (blocking) for comparison.
        let check = (frame % 100 == 7).then(|| {
            let (set, count) = ring.frame_queries().expect("the frame is being timed");
            resolve_directly(&ctx, &mut encoder, set, count)
        });
        ring.end_frame(&mut encoder);
        ctx.queue.submit([encoder.finish()]);
        if let Some(resolved) = check {
            let ticks: Vec<u64> = quantsr_gpu::read_buffer(&ctx, &resolved).unwrap();
            let ms: Vec<f64> =
                ticks.chunks_exact(2).map(|t| t[1].saturating_sub(t[0]) as f64 * ring.period_ns() / 1e6).collect();
            direct.push((frame, ms));
        } else {
            ctx.wait_idle().unwrap();
        }
    }
    ring.after_submit();
    ctx.wait_idle().unwrap();
    harvested.extend(ring.harvest(&ctx.device));
    assert_eq!(ring.dropped(), 0);
    assert_eq!(harvested.len() as u64, frames);
    for (frame, ms) in &direct {
        let h = harvested.iter().find(|t| t.frame_index == *frame).expect("harvested");
        assert_eq!(&h.pass_ms, ms, "frame {frame}: the ring and a blocking readback disagree");
    }
    let after = quantsr_gpu::resource_counts(&ctx).expect("the backend reports its objects");
    assert_eq!(before, after, "GPU objects alive before and after 1000 frames");
}

#[test]
fn a_ring_that_is_never_read_back_drops_frames_instead_of_waiting() {
    // Alone on the device: these tests time it, and others of this file would queue work.
    let (ctx, _alone) = timing_test_gpu();
    let load = SyntheticLoad::new(&ctx).unwrap();
    let mut ring = TimestampRing::new(&ctx.device, &ctx.queue, 3, 1);
    // Frames recorded and submitted back to back while nothing maps the slots: once the three
    // slots are taken, begin_frame says no at once (the frame goes untimed) rather than block.
    let mut timed = 0;
    for frame in 0..10 {
        let t0 = Instant::now();
        let ok = ring.begin_frame(frame);
        assert!(t0.elapsed().as_millis() < 50, "begin_frame took {:?}", t0.elapsed());
        timed += u32::from(ok);
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        load.record_timed(&ctx.queue, &mut encoder, 0.0, ring.pass_writes());
        ring.end_frame(&mut encoder);
        ctx.queue.submit([encoder.finish()]);
    }
    assert_eq!(timed, 3);
    assert_eq!(ring.dropped(), 7);
    // Once the slots are mapped and harvested, timing resumes.
    ring.after_submit();
    ctx.wait_idle().unwrap();
    assert_eq!(ring.harvest(&ctx.device).len(), 3);
    assert!(ring.begin_frame(10));
}

/// Frames of `ms` each through the load's own closed loop, paced one at a time (submit, then
/// harvest after the GPU finished): returns the GPU time measured for each.
fn closed_loop_frames(
    ctx: &quantsr_gpu::GpuContext,
    load: &mut SyntheticLoad,
    first: u64,
    frames: u64,
    ms: f64,
) -> Vec<f64> {
    let mut measured = Vec::new();
    for frame in first..first + frames {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        load.record(&ctx.queue, &mut encoder, frame, ms);
        ctx.queue.submit([encoder.finish()]);
        measured.extend(load.after_submit(&ctx.device).iter().map(|t| t.total_ms()));
        ctx.wait_idle().unwrap();
    }
    measured.extend(load.after_submit(&ctx.device).iter().map(|t| t.total_ms()));
    measured
}

#[test]
fn synthetic_load_reads_what_is_asked_after_ten_frames_even_when_the_device_changes_speed() {
    // Alone on the device: these tests time it, and others of this file would queue work.
    let (ctx, _alone) = timing_test_gpu();
    assert!(ctx.caps.timestamps, "the device did not grant TIMESTAMP_QUERY");
    let mut load = SyntheticLoad::new(&ctx).unwrap();
    // Alone in its submission the pass is bracketed by its timestamps on any driver (lavapipe
    // runs a submission's passes lazily, so in a frame it stays open loop).
    load.set_closed_loop(true);
    assert!(load.is_timed());
    let within = |got: f64| (got - 20.0).abs() <= 0.15 * 20.0;
    // The median of the last three frames: other processes may share the CPU device.
    let last_three = |ms: &[f64]| {
        let mut tail = ms[ms.len().saturating_sub(3)..].to_vec();
        tail.sort_by(f64::total_cmp);
        tail[tail.len() / 2]
    };
    let settled = closed_loop_frames(&ctx, &mut load, 0, 12, 20.0);
    let last = last_three(&settled);
    assert!(within(last), "asked for 20 ms, measured {last:.2} ms after 10 frames ({settled:.2?})");
    // The device becomes 3x slower than calibrated (or the clocks drop): the rate is now 3x
    // too high, and the loop must bring the load back to what is asked.
    let rate = load.iterations_per_ms();
    load.set_iterations_per_ms(rate * 3.0);
    let recovered = closed_loop_frames(&ctx, &mut load, 100, 12, 20.0);
    assert!(recovered[0] > 40.0, "the miscalibration shows at first: {recovered:.2?}");
    let last = last_three(&recovered);
    assert!(within(last), "after the speed change, 20 ms measured {last:.2} ms ({recovered:.2?})");
}

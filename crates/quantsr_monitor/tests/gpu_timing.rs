//! The GPU side of the monitor on a real device: the timestamp ring never waits yet loses
//! nothing when paced, and the synthetic load costs what it is asked to.

use std::time::Instant;

use quantsr_gpu::{test_gpu, wgpu};
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
    let ctx = test_gpu();
    let load = SyntheticLoad::new(&ctx).unwrap();
    let best = |ms: f64| (0..3).map(|_| gpu_ms(&ctx, |e| load.record(&ctx.queue, e, ms))).fold(f64::MAX, f64::min);
    let (small, large) = (best(4.0), best(16.0));
    let ratio = large / small;
    // Wall clock includes a submit overhead of well under a millisecond on lavapipe.
    assert!((2.5..6.0).contains(&ratio), "4 ms took {small:.2} ms and 16 ms took {large:.2} ms");
}

#[test]
fn timestamp_ring_harvests_every_paced_frame_once_and_in_order() {
    let ctx = test_gpu();
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

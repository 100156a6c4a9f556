//! The timestamp ring.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// GPU time of each pass of one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameTimings {
    /// The frame these timings belong to.
    pub frame_index: u64,
    /// Milliseconds per pass, in the order the passes were recorded.
    pub pass_ms: Vec<f64>,
}

impl FrameTimings {
    /// Sum of the passes.
    pub fn total_ms(&self) -> f64 {
        self.pass_ms.iter().sum()
    }
}

const FREE: u8 = 0;
const RECORDED: u8 = 1;
const MAPPING: u8 = 2;
const MAPPED: u8 = 3;
const FAILED: u8 = 4;

struct Slot {
    queries: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    readback: wgpu::Buffer,
    state: Arc<AtomicU8>,
    frame_index: u64,
    passes: u32,
}

/// A ring of query slots: one frame records into a free slot, the readback is mapped once the
/// frame has been submitted, and the values are harvested whenever the map has completed.
/// When every slot is still in flight, that frame is simply not timed (counted in
/// [`TimestampRing::dropped`]); nothing ever blocks.
pub struct TimestampRing {
    slots: Vec<Slot>,
    max_passes: u32,
    period_ns: f64,
    current: Option<usize>,
    dropped: u64,
}

impl TimestampRing {
    /// Creates `slots` slots (at least 3) for frames of up to `max_passes` passes. The device
    /// must have `TIMESTAMP_QUERY`.
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue, slots: usize, max_passes: u32) -> Self {
        let bytes = u64::from(2 * max_passes) * 8;
        let slots = (0..slots.max(3))
            .map(|_| Slot {
                queries: device.create_query_set(&wgpu::QuerySetDescriptor {
                    label: Some("pass timestamps"),
                    ty: wgpu::QueryType::Timestamp,
                    count: 2 * max_passes,
                }),
                resolve: device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("timestamp resolve"),
                    size: bytes,
                    usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                }),
                readback: device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("timestamp readback"),
                    size: bytes,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                }),
                state: Arc::new(AtomicU8::new(FREE)),
                frame_index: 0,
                passes: 0,
            })
            .collect();
        Self { slots, max_passes, period_ns: f64::from(queue.get_timestamp_period()), current: None, dropped: 0 }
    }

    /// Starts timing frame `frame_index`; returns false (and counts a drop) when no slot is
    /// free, in which case the frame's passes get no timestamp writes.
    pub fn begin_frame(&mut self, frame_index: u64) -> bool {
        self.current = self.slots.iter().position(|s| s.state.load(Ordering::Acquire) == FREE);
        match self.current {
            Some(i) => {
                self.slots[i].frame_index = frame_index;
                self.slots[i].passes = 0;
                true
            }
            None => {
                self.dropped += 1;
                false
            }
        }
    }

    /// Timestamp writes for the next pass of the frame being recorded, if it is timed.
    pub fn pass_writes(&mut self) -> Option<wgpu::ComputePassTimestampWrites<'_>> {
        let slot = &mut self.slots[self.current?];
        if slot.passes >= self.max_passes {
            return None;
        }
        let i = slot.passes;
        slot.passes += 1;
        Some(wgpu::ComputePassTimestampWrites {
            query_set: &slot.queries,
            beginning_of_pass_write_index: Some(2 * i),
            end_of_pass_write_index: Some(2 * i + 1),
        })
    }

    /// The query set of the frame being recorded and the number of queries written so far,
    /// to check the ring against a direct, blocking readback of the same queries.
    pub fn frame_queries(&self) -> Option<(&wgpu::QuerySet, u32)> {
        self.current.map(|i| (&self.slots[i].queries, 2 * self.slots[i].passes))
    }

    /// The device's timestamp period: nanoseconds per tick.
    pub fn period_ns(&self) -> f64 {
        self.period_ns
    }

    /// Records the resolve and copy of the frame's queries into `encoder`.
    pub fn end_frame(&mut self, encoder: &mut wgpu::CommandEncoder) {
        let Some(i) = self.current.take() else { return };
        let slot = &self.slots[i];
        if slot.passes == 0 {
            return;
        }
        encoder.resolve_query_set(&slot.queries, 0..2 * slot.passes, &slot.resolve, 0);
        encoder.copy_buffer_to_buffer(&slot.resolve, 0, &slot.readback, 0, u64::from(2 * slot.passes) * 8);
        slot.state.store(RECORDED, Ordering::Release);
    }

    /// Starts mapping every slot recorded so far. Call it only after the encoders of those
    /// frames were submitted (e.g. at the start of the next frame).
    pub fn after_submit(&mut self) {
        for slot in &self.slots {
            if slot.state.compare_exchange(RECORDED, MAPPING, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                let state = slot.state.clone();
                let bytes = u64::from(2 * slot.passes) * 8;
                slot.readback.slice(..bytes).map_async(wgpu::MapMode::Read, move |r| {
                    state.store(if r.is_ok() { MAPPED } else { FAILED }, Ordering::Release);
                });
            }
        }
    }

    /// Returns the timings of every frame whose readback has completed, oldest first, and
    /// frees their slots. Never waits: it only polls the device.
    pub fn harvest(&mut self, device: &wgpu::Device) -> Vec<FrameTimings> {
        let _ = device.poll(wgpu::PollType::Poll);
        let mut out = Vec::new();
        for slot in &mut self.slots {
            match slot.state.load(Ordering::Acquire) {
                MAPPED => {
                    let bytes = u64::from(2 * slot.passes) * 8;
                    let ticks: Vec<u64> = match slot.readback.slice(..bytes).get_mapped_range() {
                        Ok(view) => {
                            view.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()
                        }
                        Err(e) => {
                            log::warn!("timestamp readback could not be read: {e}");
                            Vec::new()
                        }
                    };
                    slot.readback.unmap();
                    let pass_ms = ticks
                        .chunks_exact(2)
                        .map(|t| t[1].saturating_sub(t[0]) as f64 * self.period_ns / 1e6)
                        .collect();
                    out.push(FrameTimings { frame_index: slot.frame_index, pass_ms });
                    slot.state.store(FREE, Ordering::Release);
                }
                FAILED => {
                    self.dropped += 1;
                    slot.state.store(FREE, Ordering::Release);
                }
                _ => {}
            }
        }
        out.sort_by_key(|t| t.frame_index);
        out
    }

    /// Frames that got no timings because every slot was still in flight or a map failed.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

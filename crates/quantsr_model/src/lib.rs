//! The GPU-free side of quantsr: plain-Rust references of every GPU pass, written for clarity
//! rather than speed. They are the oracle the WGSL kernels are tested against (DESIGN §8,
//! vello's `compare_gpu_cpu` pattern). Later this crate also holds the network description,
//! weight files, quantization and the CPU forward pass.

pub mod cpu;

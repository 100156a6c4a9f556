//! Separable convolution on single-channel `f32` planes and the row-splitting helper that spreads
//! a pass over the machine's cores. Planes are row-major with a given width; the height is
//! `len / width`.

/// Below this much work (output values times taps) a pass runs on the calling thread: spawning
/// would cost more than it saves.
const PARALLEL_MIN_WORK: usize = 1 << 18;

/// At most this many threads per pass; the metrics are memory-bound beyond a few cores.
const MAX_THREADS: usize = 8;

fn thread_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS)
}

/// Runs `f(first_row, rows)` over `dst` split into contiguous chunks of whole rows of `row_len`
/// values, one chunk per thread. `work_per_row` (roughly multiply-adds) decides whether
/// threads are worth starting. The result does not depend on the number of threads.
pub(crate) fn par_rows<T, F>(dst: &mut [T], row_len: usize, work_per_row: usize, f: F)
where
    T: Send,
    F: Fn(usize, &mut [T]) + Sync,
{
    if row_len == 0 || dst.is_empty() {
        return;
    }
    let rows = dst.len() / row_len;
    let threads = if rows.saturating_mul(work_per_row) < PARALLEL_MIN_WORK { 1 } else { thread_count().min(rows) };
    if threads <= 1 {
        f(0, dst);
        return;
    }
    let rows_per_chunk = rows.div_ceil(threads);
    std::thread::scope(|scope| {
        let mut chunks = dst.chunks_mut(rows_per_chunk * row_len).enumerate();
        let first = chunks.next();
        for (i, chunk) in chunks {
            let f = &f;
            scope.spawn(move || f(i * rows_per_chunk, chunk));
        }
        if let Some((_, chunk)) = first {
            f(0, chunk);
        }
    });
}

/// Fills `dst` with `f(i)` for every index of a plane `width` values wide, in parallel for
/// large planes (per-pixel conversions and maps).
pub(crate) fn par_map<T, F>(dst: &mut [T], width: usize, work_per_value: usize, f: F)
where
    T: Send,
    F: Fn(usize) -> T + Sync,
{
    par_rows(dst, width, width * work_per_value, |first_row, rows| {
        let base = first_row * width;
        for (i, out) in rows.iter_mut().enumerate() {
            *out = f(base + i);
        }
    });
}

/// A symmetric odd-length 1D kernel; `radius` taps on each side of the centre.
pub(crate) fn radius_of(kernel: &[f32]) -> usize {
    debug_assert!(kernel.len() % 2 == 1, "kernels have odd length");
    kernel.len() / 2
}

/// Horizontal pass with clamp-to-edge borders, output the size of the input:
/// `dst[y][x] = sum_k kernel[k] * src[y][clamp(x + k - r, 0, w - 1)]`.
pub(crate) fn convolve_rows(src: &[f32], width: usize, kernel: &[f32], dst: &mut [f32]) {
    assert_eq!(src.len(), dst.len());
    let r = radius_of(kernel);
    par_rows(dst, width, width * kernel.len(), |first_row, rows| {
        // One padded copy of the current source row, reused for every row of the chunk.
        let mut padded = vec![0.0f32; width + 2 * r];
        for (i, out) in rows.chunks_exact_mut(width).enumerate() {
            let row = &src[(first_row + i) * width..][..width];
            padded[..r].fill(row[0]);
            padded[r..r + width].copy_from_slice(row);
            padded[r + width..].fill(row[width - 1]);
            out.fill(0.0);
            for (k, &weight) in kernel.iter().enumerate() {
                for (o, &s) in out.iter_mut().zip(&padded[k..k + width]) {
                    *o += weight * s;
                }
            }
        }
    });
}

/// Vertical pass with clamp-to-edge borders, output the size of the input:
/// `dst[y][x] = sum_k kernel[k] * src[clamp(y + k - r, 0, h - 1)][x]`.
pub(crate) fn convolve_cols(src: &[f32], width: usize, kernel: &[f32], dst: &mut [f32]) {
    assert_eq!(src.len(), dst.len());
    let height = src.len() / width;
    let r = radius_of(kernel) as isize;
    par_rows(dst, width, width * kernel.len(), |first_row, rows| {
        for (i, out) in rows.chunks_exact_mut(width).enumerate() {
            let y = (first_row + i) as isize;
            out.fill(0.0);
            for (k, &weight) in kernel.iter().enumerate() {
                let sy = (y + k as isize - r).clamp(0, height as isize - 1) as usize;
                for (o, &s) in out.iter_mut().zip(&src[sy * width..][..width]) {
                    *o += weight * s;
                }
            }
        }
    });
}

/// Separable 2D filtering (rows with `kx`, then columns with `ky`), clamp-to-edge borders.
/// `scratch` holds the intermediate and must be as long as `src`.
pub(crate) fn convolve_separable(
    src: &[f32],
    width: usize,
    kx: &[f32],
    ky: &[f32],
    scratch: &mut [f32],
    dst: &mut [f32],
) {
    convolve_rows(src, width, kx, scratch);
    convolve_cols(scratch, width, ky, dst);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The plain 2D convolution the separable passes must match: clamp-to-edge borders,
    /// `kernel2d` is `(2r+1) x (2r+1)` row-major.
    pub(crate) fn convolve_2d_direct(src: &[f32], width: usize, kernel2d: &[f64], r: usize) -> Vec<f64> {
        let height = src.len() / width;
        let n = 2 * r + 1;
        let mut out = vec![0.0; src.len()];
        for y in 0..height {
            for x in 0..width {
                let mut acc = 0.0;
                for ky in 0..n {
                    for kx in 0..n {
                        let sy = (y as isize + ky as isize - r as isize).clamp(0, height as isize - 1) as usize;
                        let sx = (x as isize + kx as isize - r as isize).clamp(0, width as isize - 1) as usize;
                        acc += kernel2d[ky * n + kx] * f64::from(src[sy * width + sx]);
                    }
                }
                out[y * width + x] = acc;
            }
        }
        out
    }

    /// A deterministic pseudo-random value in [0, 1) for fixtures (xorshift-style hash).
    pub(crate) fn hash01(i: u64) -> f32 {
        let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
        x ^= x >> 33;
        x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        x ^= x >> 33;
        x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
        x ^= x >> 33;
        (x >> 40) as f32 / (1u64 << 24) as f32
    }

    #[test]
    fn separable_convolution_matches_direct_2d_with_clamped_borders() {
        let (w, h) = (13, 9);
        let src: Vec<f32> = (0..w * h).map(|i| hash01(i as u64)).collect();
        let kx = [0.1f32, 0.2, 0.4, 0.2, 0.1];
        let ky = [-0.5f32, 0.0, 0.5, 0.25, 0.75];
        let mut k2 = vec![0.0f64; 25];
        for y in 0..5 {
            for x in 0..5 {
                k2[y * 5 + x] = f64::from(ky[y]) * f64::from(kx[x]);
            }
        }
        let mut scratch = vec![0.0; w * h];
        let mut out = vec![0.0; w * h];
        convolve_separable(&src, w, &kx, &ky, &mut scratch, &mut out);
        let want = convolve_2d_direct(&src, w, &k2, 2);
        for (got, want) in out.iter().zip(&want) {
            assert!((f64::from(*got) - want).abs() < 1e-5, "{got} vs {want}");
        }
    }

    #[test]
    fn par_rows_visits_every_row_once_with_its_index() {
        let width = 300;
        let mut rows = vec![0usize; width * 1000];
        par_rows(&mut rows, width, 1_000, |first, chunk| {
            for (i, row) in chunk.chunks_exact_mut(width).enumerate() {
                row.fill(first + i + 1);
            }
        });
        for (y, row) in rows.chunks_exact(width).enumerate() {
            assert!(row.iter().all(|&v| v == y + 1));
        }
    }
}

//! Where the CPU kernels may use threads: natively (rayon's pool over every core) and in the
//! browser's threaded build (feature `threads`: rayon's pool of Web Workers); the plain browser
//! build has one thread. The one place that says so.

/// Runs `body(state, index, input_chunk, output_chunk)` over matching chunks of `input` and
/// `output`, on every thread the build has; `init` makes each thread's scratch state.
#[cfg(any(not(target_family = "wasm"), feature = "threads"))]
pub fn for_each_chunk<S>(
    input: &[f32],
    input_chunk: usize,
    output: &mut [f32],
    output_chunk: usize,
    init: impl Fn() -> S + Sync + Send,
    body: impl Fn(&mut S, usize, &[f32], &mut [f32]) + Sync + Send,
) {
    use rayon::prelude::*;
    input
        .par_chunks_exact(input_chunk)
        .zip(output.par_chunks_exact_mut(output_chunk))
        .enumerate()
        .for_each_init(init, |state, (index, (input, output))| body(state, index, input, output));
}

#[cfg(not(any(not(target_family = "wasm"), feature = "threads")))]
pub fn for_each_chunk<S>(
    input: &[f32],
    input_chunk: usize,
    output: &mut [f32],
    output_chunk: usize,
    init: impl Fn() -> S,
    body: impl Fn(&mut S, usize, &[f32], &mut [f32]),
) {
    let mut state = init();
    for (index, (input, output)) in input.chunks_exact(input_chunk).zip(output.chunks_exact_mut(output_chunk)).enumerate() {
        body(&mut state, index, input, output);
    }
}

/// How a matrix product may split: across every thread, whatever its size (gemm still keeps
/// tiny ones on one thread).
#[cfg(any(not(target_family = "wasm"), feature = "threads"))]
pub fn gemm_threads() -> gemm::Parallelism {
    gemm::Parallelism::Rayon(0)
}

#[cfg(not(any(not(target_family = "wasm"), feature = "threads")))]
pub fn gemm_threads() -> gemm::Parallelism {
    gemm::Parallelism::None
}

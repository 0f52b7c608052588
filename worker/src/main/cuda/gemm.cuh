// bf16 matrix product on tensor cores (WMMA 16x16x16, fp32 accumulation) for every linear layer:
//   C (M,N) = alpha * op(A) (M,K) . op(B) (K,N) + beta * C + bias (N)
// row-major operands; op(A) = A stored (M,K) with lda, or A^T with A stored (K,M); likewise op(B) with B stored
// (K,N) or (N,K). C is fp32 and/or bf16 (Cb): either may be null, and when C is null beta must be 0.
//
// Tiles of 128x128 with K steps of 32, 8 warps each computing 64x32 as 4x2 WMMA fragments, two shared-memory
// stages. A tile is copied into shared memory as stored (no transposition on the way); a transposed operand is
// read by WMMA in column-major order instead. The ASYNC variants copy with cp.async (16-byte chunks, zero-filled
// past the edges): they need every leading dimension a multiple of 8 elements and A, B 16-byte aligned. The
// others load element by element and take any shape and alignment.
#pragma once
#include "common.cuh"
#include <mma.h>

namespace zs_gemm {
using namespace nvcuda;

constexpr int BM = 128;
constexpr int BN = 128;
constexpr int BK = 32;
constexpr int PAD = 8;
constexpr int THREADS = 256;
// one stage: the larger of the two layouts of each operand, so offsets do not depend on the layout
constexpr int TILE_ELEMS = BM * (BK + PAD) > BK * (BM + PAD) ? BM * (BK + PAD) : BK * (BM + PAD);
constexpr int SMEM_BYTES = 2 * 2 * TILE_ELEMS * 2;  // 2 stages x (A, B) x bf16

template <bool C, typename X, typename Y> struct Pick { typedef X type; };
template <typename X, typename Y> struct Pick<false, X, Y> { typedef Y type; };

// Copies the R x W tile at (row0, col0) of a stored matrix (rows x cols, leading dimension ld) into shared memory
// with leading dimension W + PAD; elements outside the matrix become zeros.
template <int R, int W, bool ASYNC>
__device__ __forceinline__ void load_tile(bf16* sm, const bf16* g, int ld, int row0, int col0, int rows,
                                          int cols) {
    constexpr int CHUNKS_PER_ROW = W / 8;
    constexpr int CHUNKS = R * CHUNKS_PER_ROW;
    #pragma unroll
    for (int c = threadIdx.x; c < CHUNKS; c += THREADS) {
        const int r = c / CHUNKS_PER_ROW;
        const int k = (c % CHUNKS_PER_ROW) * 8;
        const int gr = row0 + r;
        const int gc = col0 + k;
        bf16* dst = sm + r * (W + PAD) + k;
        if (ASYNC) {
            int bytes = 0;
            const bf16* src = g;
            if (gr < rows && gc < cols) {
                bytes = min(8, cols - gc) * 2;
                src = g + (long long)gr * ld + gc;
            }
            zs_cp_async16(dst, src, bytes);
        } else {
            #pragma unroll
            for (int e = 0; e < 8; e++) {
                dst[e] = (gr < rows && gc + e < cols) ? g[(long long)gr * ld + gc + e] : zs_to_bf16(0.0f);
            }
        }
    }
}

template <bool TRANS_A, bool TRANS_B, bool ASYNC>
__device__ __forceinline__ void load_stage(bf16* As, bf16* Bs, const bf16* A, int lda, const bf16* B, int ldb,
                                           int M, int N, int K, int m0, int n0, int k0) {
    if (TRANS_A) {
        load_tile<BK, BM, ASYNC>(As, A, lda, k0, m0, K, M);
    } else {
        load_tile<BM, BK, ASYNC>(As, A, lda, m0, k0, M, K);
    }
    if (TRANS_B) {
        load_tile<BN, BK, ASYNC>(Bs, B, ldb, n0, k0, N, K);
    } else {
        load_tile<BK, BN, ASYNC>(Bs, B, ldb, k0, n0, K, N);
    }
}

template <bool TRANS_A, bool TRANS_B, bool ASYNC>
__device__ __forceinline__ void gemm(int M, int N, int K, float alpha, const bf16* A, int lda, const bf16* B,
                                     int ldb, float beta, float* C, int ldc, const float* bias, bf16* Cb,
                                     int ldcb) {
    typedef typename Pick<TRANS_A, wmma::col_major, wmma::row_major>::type ALayout;
    typedef typename Pick<TRANS_B, wmma::col_major, wmma::row_major>::type BLayout;
    __shared__ __align__(128) bf16 smem[2 * 2 * TILE_ELEMS];
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int wm = warp >> 2;  // 0..1: rows wm*64 .. +63 of the tile
    const int wn = warp & 3;   // 0..3: columns wn*32 .. +31
    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[4][2];
    #pragma unroll
    for (int i = 0; i < 4; i++) {
        #pragma unroll
        for (int j = 0; j < 2; j++) {
            wmma::fill_fragment(acc[i][j], 0.0f);
        }
    }

    const int kTiles = (K + BK - 1) / BK;
    load_stage<TRANS_A, TRANS_B, ASYNC>(smem, smem + TILE_ELEMS, A, lda, B, ldb, M, N, K, m0, n0, 0);
    zs_cp_async_commit();
    for (int t = 0; t < kTiles; t++) {
        if (t + 1 < kTiles) {
            bf16* next = smem + ((t + 1) & 1) * 2 * TILE_ELEMS;
            load_stage<TRANS_A, TRANS_B, ASYNC>(next, next + TILE_ELEMS, A, lda, B, ldb, M, N, K, m0, n0,
                                                (t + 1) * BK);
            zs_cp_async_commit();
            zs_cp_async_wait<1>();
        } else {
            zs_cp_async_wait<0>();
        }
        __syncthreads();
        const bf16* As = smem + (t & 1) * 2 * TILE_ELEMS;
        const bf16* Bs = As + TILE_ELEMS;
        #pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, ALayout> a[4];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, BLayout> b[2];
            #pragma unroll
            for (int i = 0; i < 4; i++) {
                const int row = wm * 64 + i * 16;
                if (TRANS_A) {
                    wmma::load_matrix_sync(a[i], As + kk * (BM + PAD) + row, BM + PAD);
                } else {
                    wmma::load_matrix_sync(a[i], As + row * (BK + PAD) + kk, BK + PAD);
                }
            }
            #pragma unroll
            for (int j = 0; j < 2; j++) {
                const int col = wn * 32 + j * 16;
                if (TRANS_B) {
                    wmma::load_matrix_sync(b[j], Bs + col * (BK + PAD) + kk, BK + PAD);
                } else {
                    wmma::load_matrix_sync(b[j], Bs + kk * (BN + PAD) + col, BN + PAD);
                }
            }
            #pragma unroll
            for (int i = 0; i < 4; i++) {
                #pragma unroll
                for (int j = 0; j < 2; j++) {
                    wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
                }
            }
        }
        __syncthreads();
    }

    // epilogue: each warp stages one 16x16 fragment at a time in its own 1 KiB of the (now free) shared memory
    float* scratch = reinterpret_cast<float*>(smem) + warp * 256;
    #pragma unroll
    for (int i = 0; i < 4; i++) {
        #pragma unroll
        for (int j = 0; j < 2; j++) {
            wmma::store_matrix_sync(scratch, acc[i][j], 16, wmma::mem_row_major);
            __syncwarp();
            const int r0 = m0 + wm * 64 + i * 16;
            const int c0 = n0 + wn * 32 + j * 16;
            #pragma unroll
            for (int e = lane; e < 256; e += 32) {
                const int gr = r0 + (e >> 4);
                const int gc = c0 + (e & 15);
                if (gr < M && gc < N) {
                    float v = alpha * scratch[e];
                    if (bias != nullptr) {
                        v += bias[gc];
                    }
                    if (C != nullptr) {
                        float* c = C + (long long)gr * ldc + gc;
                        if (beta != 0.0f) {
                            v += beta * *c;
                        }
                        *c = v;
                    }
                    if (Cb != nullptr) {
                        Cb[(long long)gr * ldcb + gc] = zs_to_bf16(v);
                    }
                }
            }
            __syncwarp();
        }
    }
}
}  // namespace zs_gemm

// Grid: (ceil(N / 128), ceil(M / 128)); block: 256 threads; no dynamic shared memory.
#define ZS_GEMM_ENTRY(NAME, TA, TB, ASYNC)                                                                      \
    extern "C" __global__ void __launch_bounds__(zs_gemm::THREADS)                                              \
    NAME(int M, int N, int K, float alpha, const bf16* A, int lda, const bf16* B, int ldb, float beta, float* C, \
         int ldc, const float* bias, bf16* Cb, int ldcb) {                                                      \
        zs_gemm::gemm<TA, TB, ASYNC>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, Cb, ldcb);             \
    }

ZS_GEMM_ENTRY(zs_gemm_nn_async, false, false, true)
ZS_GEMM_ENTRY(zs_gemm_nt_async, false, true, true)
ZS_GEMM_ENTRY(zs_gemm_tn_async, true, false, true)
ZS_GEMM_ENTRY(zs_gemm_tt_async, true, true, true)
ZS_GEMM_ENTRY(zs_gemm_nn, false, false, false)
ZS_GEMM_ENTRY(zs_gemm_nt, false, true, false)
ZS_GEMM_ENTRY(zs_gemm_tn, true, false, false)
ZS_GEMM_ENTRY(zs_gemm_tt, true, true, false)

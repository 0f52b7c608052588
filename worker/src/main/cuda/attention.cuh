// Causal multi-head self-attention by the FlashAttention-2 algorithm (ops.FlashAttention on the CPU, derivation in
// docs/attention-backward.md), on tensor cores through WMMA: bf16 inputs, fp32 accumulation, an online softmax,
// and only the log-sum-exp of each query row kept for backward, which recomputes the probabilities tile by tile.
//
// Layout (GPT-2, as the CPU op): qkv (B,T,3C) with q in channels [0,C), k in [C,2C), v in [2C,3C), head h owning
// channels [h*HD, (h+1)*HD) of each; out (B,T,C); lse (B,NH,T), the natural log-sum-exp of the scaled scores
// q.k * scale of each query row (scale = 1/sqrt(HD)). Query t attends keys 0..t. Any T; HD = 64 or 128.
//
// Tiles: 64 query rows x 64 keys, 4 warps of 16 rows each. WMMA fragments hide which thread holds which element,
// so the softmax reads the scores from shared memory, and the output accumulator lives in shared memory too
// (loaded into a fragment for each P.V product and stored back).
#pragma once
#include "common.cuh"
#include <mma.h>

namespace zs_attn {
using namespace nvcuda;

constexpr int TILE = 64;      // query rows and keys per tile
constexpr int THREADS = 128;  // 4 warps
constexpr int LDS = TILE + 4; // fp32 score rows
constexpr int LDP = TILE + 8; // bf16 probability rows

// Shared memory of the forward kernel, in bytes (the host asks for the same amount).
template <int HD>
__host__ __device__ constexpr int forward_smem_bytes() {
    return 3 * TILE * (HD + 8) * 2 + 4 * 16 * LDS * 4 + 4 * 16 * LDP * 2 + 4 * 16 * (HD + 4) * 4;
}

// Shared memory of the backward kernel, in bytes.
template <int HD>
__host__ __device__ constexpr int backward_smem_bytes() {
    return 4 * TILE * (HD + 8) * 2 + 2 * TILE * LDS * 4 + 2 * TILE * LDP * 2 + 2 * TILE * 4;
}

__device__ __forceinline__ unsigned dynamic_smem_bytes() {
    unsigned bytes;
    asm volatile("mov.u32 %0, %%dynamic_smem_size;" : "=r"(bytes));
    return bytes;
}

// Copies rows row0 .. row0+63 of one head (HD bf16 values each, rows ld elements apart, from src) into shared
// memory with leading dimension HD + 8; rows at or past T become zeros. 16-byte loads: src and ld must keep
// every row 16-byte aligned (HD and C multiples of 8).
template <int HD>
__device__ __forceinline__ void load_rows(bf16* sm, const bf16* src, long long ld, int row0, int T) {
    constexpr int CHUNKS_PER_ROW = HD / 8;
    for (int c = threadIdx.x; c < TILE * CHUNKS_PER_ROW; c += THREADS) {
        const int r = c / CHUNKS_PER_ROW;
        const int k = (c % CHUNKS_PER_ROW) * 8;
        uint4 v = make_uint4(0u, 0u, 0u, 0u);
        if (row0 + r < T) {
            v = *reinterpret_cast<const uint4*>(src + (row0 + r) * ld + k);
        }
        *reinterpret_cast<uint4*>(sm + r * (HD + 8) + k) = v;
    }
}

// Grid: (ceil(T/64), B*NH); block: 128 threads; dynamic shared memory forward_smem_bytes<HD>().
template <int HD>
__device__ __forceinline__ void forward(bf16* out, float* lse, const bf16* qkv, int T, int NH, float scale) {
    constexpr int LDH = HD + 8;
    constexpr int LDO = HD + 4;
    extern __shared__ __align__(128) unsigned char smem[];
    if (dynamic_smem_bytes() < (unsigned)forward_smem_bytes<HD>()) {
        __trap();
    }
    bf16* Qs = reinterpret_cast<bf16*>(smem);
    bf16* Ks = Qs + TILE * LDH;
    bf16* Vs = Ks + TILE * LDH;
    float* Ss = reinterpret_cast<float*>(Vs + TILE * LDH);
    bf16* Ps = reinterpret_cast<bf16*>(Ss + 4 * 16 * LDS);
    float* Os = reinterpret_cast<float*>(Ps + 4 * 16 * LDP);

    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    // the longest query tiles (the last) start first
    const int q0 = (gridDim.x - 1 - blockIdx.x) * TILE;
    const int bh = blockIdx.y;
    const int b = bh / NH;
    const int h = bh % NH;
    const int C = NH * HD;
    const long long C3 = 3LL * C;
    const bf16* base = qkv + (long long)b * T * C3 + h * HD;

    float* Sw = Ss + warp * 16 * LDS;
    bf16* Pw = Ps + warp * 16 * LDP;
    float* Ow = Os + warp * 16 * LDO;
    for (int i = lane; i < 16 * LDO; i += 32) {
        Ow[i] = 0.0f;
    }
    load_rows<HD>(Qs, base, C3, q0, T);

    // lanes 2r and 2r+1 own row r of the warp's 16: columns 2i + half of the scores and of the output
    const int r = lane >> 1;
    const int half = lane & 1;
    const int qrow = q0 + warp * 16 + r;
    const float scaleLog2 = scale * ZS_LOG2E;
    float m = -INFINITY;  // running maximum of the row, log2 domain
    float l = 0.0f;       // running sum of 2^(s - m)
    const int kvEnd = min(T, q0 + TILE);
    for (int k0 = 0; k0 < kvEnd; k0 += TILE) {
        __syncthreads();
        load_rows<HD>(Ks, base + C, C3, k0, T);
        load_rows<HD>(Vs, base + 2 * C, C3, k0, T);
        __syncthreads();

        // S (16 x 64) = Q_w (16 x HD) . K^T
        wmma::fragment<wmma::accumulator, 16, 16, 16, float> s[4];
        #pragma unroll
        for (int j = 0; j < 4; j++) {
            wmma::fill_fragment(s[j], 0.0f);
        }
        #pragma unroll
        for (int d = 0; d < HD; d += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
            wmma::load_matrix_sync(a, Qs + warp * 16 * LDH + d, LDH);
            #pragma unroll
            for (int j = 0; j < 4; j++) {
                wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> kt;
                wmma::load_matrix_sync(kt, Ks + j * 16 * LDH + d, LDH);
                wmma::mma_sync(s[j], a, kt, s[j]);
            }
        }
        #pragma unroll
        for (int j = 0; j < 4; j++) {
            wmma::store_matrix_sync(Sw + j * 16, s[j], LDS, wmma::mem_row_major);
        }
        __syncwarp();

        // online softmax of row r over this tile's 64 keys
        float x[32];
        float mx = -INFINITY;
        #pragma unroll
        for (int i = 0; i < 32; i++) {
            const int col = 2 * i + half;
            const int key = k0 + col;
            float v = Sw[r * LDS + col] * scaleLog2;
            if (key > qrow || key >= T) {
                v = -INFINITY;
            }
            x[i] = v;
            mx = fmaxf(mx, v);
        }
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        const float mNew = fmaxf(m, mx);
        // a row with no visible key yet (only rows past T) keeps zeros instead of producing NaNs
        const float mUse = mNew == -INFINITY ? 0.0f : mNew;
        const float alpha = exp2f(m - mUse);
        float sum = 0.0f;
        #pragma unroll
        for (int i = 0; i < 32; i++) {
            const float p = exp2f(x[i] - mUse);
            sum += p;
            Pw[r * LDP + 2 * i + half] = zs_to_bf16(p);
        }
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        l = l * alpha + sum;
        m = mNew;
        #pragma unroll
        for (int i = 0; i < HD / 2; i++) {
            Ow[r * LDO + 2 * i + half] *= alpha;
        }
        __syncwarp();

        // O_w (16 x HD) += P_w (16 x 64) . V (64 x HD)
        #pragma unroll
        for (int n = 0; n < HD; n += 16) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> o;
            wmma::load_matrix_sync(o, Ow + n, LDO, wmma::mem_row_major);
            #pragma unroll
            for (int kk = 0; kk < TILE; kk += 16) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> p;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> v;
                wmma::load_matrix_sync(p, Pw + kk, LDP);
                wmma::load_matrix_sync(v, Vs + kk * LDH + n, LDH);
                wmma::mma_sync(o, p, v, o);
            }
            wmma::store_matrix_sync(Ow + n, o, LDO, wmma::mem_row_major);
        }
        __syncwarp();
    }

    if (qrow < T) {
        const float inv = 1.0f / l;
        bf16* dst = out + ((long long)b * T + qrow) * C + h * HD;
        #pragma unroll
        for (int i = 0; i < HD / 2; i++) {
            dst[2 * i + half] = zs_to_bf16(Ow[r * LDO + 2 * i + half] * inv);
        }
        if (half == 0) {
            lse[(long long)bh * T + qrow] = (m + log2f(l)) * ZS_LN2;
        }
    }
}

// One key tile of 64 keys per block, walking the query tiles from the diagonal to T: dK and dV of the tile stay
// in registers (WMMA accumulators, 16 key rows per warp), dQ of each query tile is added to global memory with
// atomics. Grid: (ceil(T/64), B*NH); block: 128 threads; dynamic shared memory backward_smem_bytes<HD>().
// Adds scale x the (TILE, HD) tile held in frags (warp w holds rows 16w..16w+15) to rows [row0, row0 + TILE)
// of dst (row stride ld), staged as fp32 rows through stage; rows at or past T are left alone.
template <int HD, int LDQ>
__device__ __forceinline__ void add_tile_rows(float* dst, long long ld,
                                              const wmma::fragment<wmma::accumulator, 16, 16, 16, float>* frags,
                                              float* stage, int warp, int row0, int T, float scale) {
    __syncthreads();
    #pragma unroll
    for (int n = 0; n < HD / 16; n++) {
        wmma::store_matrix_sync(stage + warp * 16 * LDQ + n * 16, frags[n], LDQ, wmma::mem_row_major);
    }
    __syncthreads();
    for (int idx = threadIdx.x; idx < TILE * HD; idx += THREADS) {
        const int i = idx / HD;
        const int d = idx % HD;
        if (row0 + i < T) {
            dst[(row0 + i) * ld + d] += stage[i * LDQ + d] * scale;
        }
    }
}

template <int HD>
__device__ __forceinline__ void backward(float* dqkv, const bf16* dout, const bf16* qkv, const float* lse,
                                         const float* D, int T, int NH, float scale) {
    constexpr int LDH = HD + 8;
    constexpr int LDQ = HD + 4;  // fp32 staging of dQ, dK, dV rows (in the score buffers)
    static_assert(TILE * LDQ <= 2 * TILE * LDS, "dQ staging must fit in the two score buffers");
    extern __shared__ __align__(128) unsigned char smem[];
    if (dynamic_smem_bytes() < (unsigned)backward_smem_bytes<HD>()) {
        __trap();
    }
    bf16* Ks = reinterpret_cast<bf16*>(smem);
    bf16* Vs = Ks + TILE * LDH;
    bf16* Qs = Vs + TILE * LDH;
    bf16* dOs = Qs + TILE * LDH;
    float* Ss = reinterpret_cast<float*>(dOs + TILE * LDH);
    float* dPs = Ss + TILE * LDS;
    bf16* Ps = reinterpret_cast<bf16*>(dPs + TILE * LDS);
    bf16* dSs = Ps + TILE * LDP;
    float* lseS = reinterpret_cast<float*>(dSs + TILE * LDP);
    float* DS = lseS + TILE;
    float* stage = Ss;  // dQ, then dK and dV, staged as fp32 rows (TILE x LDQ) over Ss and dPs

    const int warp = threadIdx.x >> 5;
    const int k0 = blockIdx.x * TILE;
    const int bh = blockIdx.y;
    const int b = bh / NH;
    const int h = bh % NH;
    const int C = NH * HD;
    const long long C3 = 3LL * C;
    const bf16* base = qkv + (long long)b * T * C3 + h * HD;
    const bf16* doutBase = dout + (long long)b * T * C + h * HD;
    float* dqkvBase = dqkv + (long long)b * T * C3 + h * HD;
    const float scaleLog2 = scale * ZS_LOG2E;

    load_rows<HD>(Ks, base + C, C3, k0, T);
    load_rows<HD>(Vs, base + 2 * C, C3, k0, T);

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> dK[HD / 16];
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> dV[HD / 16];
    #pragma unroll
    for (int n = 0; n < HD / 16; n++) {
        wmma::fill_fragment(dK[n], 0.0f);
        wmma::fill_fragment(dV[n], 0.0f);
    }

    for (int q0 = k0; q0 < T; q0 += TILE) {
        __syncthreads();
        load_rows<HD>(Qs, base, C3, q0, T);
        load_rows<HD>(dOs, doutBase, C, q0, T);
        if (threadIdx.x < TILE) {
            const int q = q0 + threadIdx.x;
            lseS[threadIdx.x] = q < T ? lse[(long long)bh * T + q] * ZS_LOG2E : 0.0f;
            DS[threadIdx.x] = q < T ? D[(long long)bh * T + q] : 0.0f;
        }
        __syncthreads();

        // S = Q K^T and dP = dO V^T, query rows warp*16 .. +15, all 64 keys
        #pragma unroll
        for (int j = 0; j < 4; j++) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> s;
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> dp;
            wmma::fill_fragment(s, 0.0f);
            wmma::fill_fragment(dp, 0.0f);
            #pragma unroll
            for (int d = 0; d < HD; d += 16) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> bt;
                wmma::load_matrix_sync(a, Qs + warp * 16 * LDH + d, LDH);
                wmma::load_matrix_sync(bt, Ks + j * 16 * LDH + d, LDH);
                wmma::mma_sync(s, a, bt, s);
                wmma::load_matrix_sync(a, dOs + warp * 16 * LDH + d, LDH);
                wmma::load_matrix_sync(bt, Vs + j * 16 * LDH + d, LDH);
                wmma::mma_sync(dp, a, bt, dp);
            }
            wmma::store_matrix_sync(Ss + warp * 16 * LDS + j * 16, s, LDS, wmma::mem_row_major);
            wmma::store_matrix_sync(dPs + warp * 16 * LDS + j * 16, dp, LDS, wmma::mem_row_major);
        }
        __syncthreads();

        // P = exp(S * scale - lse) under the causal mask, dS = P * (dP - D)
        for (int idx = threadIdx.x; idx < TILE * TILE; idx += THREADS) {
            const int i = idx >> 6;
            const int j = idx & 63;
            const int q = q0 + i;
            const int key = k0 + j;
            float p = 0.0f;
            if (q < T && key <= q) {
                p = exp2f(Ss[i * LDS + j] * scaleLog2 - lseS[i]);
            }
            const float ds = p * (dPs[i * LDS + j] - DS[i]);
            Ps[i * LDP + j] = zs_to_bf16(p);
            dSs[i * LDP + j] = zs_to_bf16(ds);
        }
        __syncthreads();

        // dV (keys warp*16.., HD) += P^T dO;  dK += dS^T Q (scaled when written out)
        #pragma unroll
        for (int n = 0; n < HD / 16; n++) {
            #pragma unroll
            for (int kk = 0; kk < TILE; kk += 16) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::col_major> at;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> bm;
                wmma::load_matrix_sync(at, Ps + kk * LDP + warp * 16, LDP);
                wmma::load_matrix_sync(bm, dOs + kk * LDH + n * 16, LDH);
                wmma::mma_sync(dV[n], at, bm, dV[n]);
                wmma::load_matrix_sync(at, dSs + kk * LDP + warp * 16, LDP);
                wmma::load_matrix_sync(bm, Qs + kk * LDH + n * 16, LDH);
                wmma::mma_sync(dK[n], at, bm, dK[n]);
            }
        }

        // dQ (query rows warp*16.., HD) = dS K, staged over the score buffers (read for the last time above)
        #pragma unroll
        for (int n = 0; n < HD / 16; n++) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> dq;
            wmma::fill_fragment(dq, 0.0f);
            #pragma unroll
            for (int kk = 0; kk < TILE; kk += 16) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> bm;
                wmma::load_matrix_sync(a, dSs + warp * 16 * LDP + kk, LDP);
                wmma::load_matrix_sync(bm, Ks + kk * LDH + n * 16, LDH);
                wmma::mma_sync(dq, a, bm, dq);
            }
            wmma::store_matrix_sync(stage + warp * 16 * LDQ + n * 16, dq, LDQ, wmma::mem_row_major);
        }
        __syncthreads();
        for (int idx = threadIdx.x; idx < TILE * HD; idx += THREADS) {
            const int i = idx / HD;
            const int d = idx % HD;
            if (q0 + i < T) {
                atomicAdd(dqkvBase + (q0 + i) * C3 + d, stage[i * LDQ + d] * scale);
            }
        }
    }

    // dK and dV of this key tile, added into dqkv through the staging rows
    add_tile_rows<HD, LDQ>(dqkvBase + C, C3, dK, stage, warp, k0, T, scale);
    add_tile_rows<HD, LDQ>(dqkvBase + 2 * C, C3, dV, stage, warp, k0, T, 1.0f);
}
}  // namespace zs_attn

extern "C" __global__ void __launch_bounds__(zs_attn::THREADS)
zs_attention_forward_hd64(bf16* out, float* lse, const bf16* qkv, int T, int NH, float scale) {
    zs_attn::forward<64>(out, lse, qkv, T, NH, scale);
}

extern "C" __global__ void __launch_bounds__(zs_attn::THREADS)
zs_attention_forward_hd128(bf16* out, float* lse, const bf16* qkv, int T, int NH, float scale) {
    zs_attn::forward<128>(out, lse, qkv, T, NH, scale);
}

// D (B,NH,T) = rowsum(dout * out) per head (the softmax backward's correction), and doutBits (B,T,C) =
// bf16(dout) for the tensor-core products. dout (B,T,C) fp32; out (B,T,C) bf16 (the forward output). One warp
// per (b, t, h).
extern "C" __global__ void zs_attention_backward_prep(float* D, bf16* doutBits, const float* dout, const bf16* out,
                                                      int B, int T, int NH, int HD) {
    const long long warpId = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const int lane = threadIdx.x & 31;
    if (warpId >= (long long)B * T * NH) {
        return;
    }
    const int h = (int)(warpId % NH);
    const long long bt = warpId / NH;
    const int b = (int)(bt / T);
    const int t = (int)(bt % T);
    const long long base = bt * NH * HD + (long long)h * HD;
    float sum = 0.0f;
    for (int d = lane; d < HD; d += 32) {
        const float g = dout[base + d];
        sum += g * zs_to_f32(out[base + d]);
        doutBits[base + d] = zs_to_bf16(g);
    }
    sum = zs_warp_sum(sum);
    if (lane == 0) {
        D[((long long)b * NH + h) * T + t] = sum;
    }
}

// Adds the gradients of q, k and v into dqkv (B,T,3C) fp32 (dq by atomic adds: its last bits vary run to run).
// dout (B,T,C) bf16 from zs_attention_backward_prep; qkv, lse as the forward's; D from the prep kernel.
extern "C" __global__ void __launch_bounds__(zs_attn::THREADS)
zs_attention_backward_hd64(float* dqkv, const bf16* dout, const bf16* qkv, const float* lse, const float* D, int T,
                           int NH, float scale) {
    zs_attn::backward<64>(dqkv, dout, qkv, lse, D, T, NH, scale);
}

extern "C" __global__ void __launch_bounds__(zs_attn::THREADS)
zs_attention_backward_hd128(float* dqkv, const bf16* dout, const bf16* qkv, const float* lse, const float* D, int T,
                            int NH, float scale) {
    zs_attn::backward<128>(dqkv, dout, qkv, lse, D, T, NH, scale);
}

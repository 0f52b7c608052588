// Softmax and cross-entropy fused (ops.CrossEntropy on the CPU). One block per row.
#pragma once
#include "common.cuh"

// For each of the N rows of logits (N,V), row stride ld >= V: losses[n] = -log softmax(row)[target]; when dlogits
// is not null, dlogits (N, ld) bf16 = (softmax - onehot(target)) * gradScale, and its columns [V, ld) = 0 (the
// padding a tensor-core product may read). targets (N) already checked to be in [0, V).
extern "C" __global__ void zs_crossentropy(float* losses, bf16* dlogits, const float* logits, const int* targets,
                                           int N, int V, int ld, float gradScale) {
    __shared__ float scratch[32];
    const long long row = blockIdx.x;
    if (row >= N) {
        return;
    }
    const float* x = logits + row * ld;
    float mx = -INFINITY;
    for (int v = threadIdx.x; v < V; v += blockDim.x) {
        mx = fmaxf(mx, x[v]);
    }
    mx = zs_block_max(mx, scratch);
    float sum = 0.0f;
    for (int v = threadIdx.x; v < V; v += blockDim.x) {
        sum += expf(x[v] - mx);
    }
    sum = zs_block_sum(sum, scratch);
    const int target = targets[row];
    if (threadIdx.x == 0) {
        losses[row] = logf(sum) - (x[target] - mx);
    }
    if (dlogits != nullptr) {
        const float scale = gradScale / sum;
        bf16* d = dlogits + row * ld;
        for (int v = threadIdx.x; v < ld; v += blockDim.x) {
            float g = 0.0f;
            if (v < V) {
                g = expf(x[v] - mx) * scale;
                if (v == target) {
                    g -= gradScale;
                }
            }
            d[v] = zs_to_bf16(g);
        }
    }
}

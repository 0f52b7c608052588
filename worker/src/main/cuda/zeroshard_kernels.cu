// Every kernel of the CUDA backend, compiled as one unit into one fatbin (one module to load):
// dev/zeroshard/worker/backend/cuda/zeroshard_kernels.fatbin on the class path. Entry points are extern "C", so
// the host finds them by these names. build-kernels.sh compiles it.
#include "convert.cuh"
#include "encoder.cuh"
#include "layernorm.cuh"
#include "gelu.cuh"
#include "crossentropy.cuh"
#include "bias.cuh"
#include "adamw.cuh"
#include "norm.cuh"
#include "gemm.cuh"
#include "attention.cuh"

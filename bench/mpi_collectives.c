/*
 * Times OpenMPI's MPI_Allreduce, MPI_Reduce_scatter_block and MPI_Allgather on float buffers, the way
 * zeroshard's `bench collectives` times its ring: bytes is the whole buffer on each rank, an iteration starts
 * after a barrier and lasts until the slowest rank is done (max over ranks), warm-up first, then the median
 * of the timed iterations; busbw uses the nccl-tests factors (allreduce 2(n-1)/n, the others (n-1)/n).
 *
 *   mpirun -np N mpi_collectives LABEL BYTES[,BYTES...]   one JSON line per (op, size) on rank 0
 *   mpi_collectives memcpy BYTES                          memcpy bandwidth of one BYTES copy, no MPI
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WARMUP 2

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *) a;
    const double y = *(const double *) b;
    return (x > y) - (x < y);
}

static double median(double *values, const int count)
{
    qsort(values, (size_t) count, sizeof(double), compare_doubles);
    return count % 2 ? values[count / 2] : 0.5 * (values[count / 2 - 1] + values[count / 2]);
}

/* Fewer timed iterations for big buffers: a 256 MiB iteration takes about a second on 2 cores. */
static int iterations_for(const long bytes)
{
    return bytes >= 128L * 1024 * 1024 ? 5 : 9;
}

static void fill(float *values, const long count, const int rank)
{
    for (long i = 0; i < count; i++) {
        values[i] = (float) ((i + rank) % 97) * 0.25f + 1.0f;
    }
}

static int run_memcpy(const long bytes)
{
    char *src = malloc((size_t) bytes);
    char *dst = malloc((size_t) bytes);
    if (src == NULL || dst == NULL) {
        fprintf(stderr, "mpi_collectives: cannot allocate 2 x %ld bytes\n", bytes);
        return 1;
    }
    memset(src, 1, (size_t) bytes);
    memset(dst, 2, (size_t) bytes);
    double times[9];
    for (int k = 0; k < WARMUP + 9; k++) {
        const double start = now_s();
        memcpy(dst, src, (size_t) bytes);
        const double elapsed = now_s() - start;
        if (k >= WARMUP) {
            times[k - WARMUP] = elapsed;
        }
        src[k] = dst[bytes - 1 - k];    /* keeps the copy observable */
    }
    const double t = median(times, 9);
    printf("{\"impl\":\"memcpy\",\"bytes\":%ld,\"time_s\":%.6f,\"gbps\":%.3f}\n", bytes, t, (double) bytes / t / 1e9);
    free(src);
    free(dst);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mpirun -np N %s LABEL BYTES[,BYTES...] | %s memcpy BYTES\n", argv[0], argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "memcpy") == 0) {
        return run_memcpy(atol(argv[2]));
    }
    MPI_Init(&argc, &argv);
    int rank;
    int ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    const char *ops[] = {"allreduce", "reducescatter", "allgather"};

    char *sizes = strdup(argv[2]);
    for (char *token = strtok(sizes, ","); token != NULL; token = strtok(NULL, ",")) {
        const long bytes = atol(token);
        /* whole elements, divisible by the rank count (MPI's *_block collectives need it) */
        const long count = bytes / 4 / ranks * ranks;
        const long block = count / ranks;
        float *send = malloc((size_t) count * sizeof(float));
        float *recv = malloc((size_t) count * sizeof(float));
        if (send == NULL || recv == NULL) {
            fprintf(stderr, "mpi_collectives: rank %d cannot allocate 2 x %ld floats\n", rank, count);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        fill(send, count, rank);
        memset(recv, 0, (size_t) count * sizeof(float));
        const int iterations = iterations_for(bytes);
        double *times = malloc((size_t) iterations * sizeof(double));
        for (int op = 0; op < 3; op++) {
            for (int k = 0; k < WARMUP + iterations; k++) {
                MPI_Barrier(MPI_COMM_WORLD);
                const double start = now_s();
                if (op == 0) {
                    MPI_Allreduce(send, recv, (int) count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
                } else if (op == 1) {
                    MPI_Reduce_scatter_block(send, recv, (int) block, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
                } else {
                    MPI_Allgather(send + rank * block, (int) block, MPI_FLOAT, recv, (int) block, MPI_FLOAT,
                                  MPI_COMM_WORLD);
                }
                double elapsed = now_s() - start;
                double slowest;
                MPI_Allreduce(&elapsed, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
                if (k >= WARMUP) {
                    times[k - WARMUP] = slowest;
                }
            }
            if (rank == 0) {
                const double t = median(times, iterations);
                const double algbw = (double) (count * 4) / t / 1e9;
                const double factor = op == 0 ? 2.0 * (ranks - 1) / ranks : (double) (ranks - 1) / ranks;
                printf("{\"impl\":\"mpi\",\"transport\":\"%s\",\"op\":\"%s\",\"ranks\":%d,\"bytes\":%ld,"
                       "\"time_s\":%.6f,\"algbw_gbps\":%.3f,\"busbw_gbps\":%.3f}\n",
                       argv[1], ops[op], ranks, bytes, t, algbw, algbw * factor);
                fflush(stdout);
            }
        }
        free(times);
        free(send);
        free(recv);
    }
    free(sizes);
    MPI_Finalize();
    return 0;
}

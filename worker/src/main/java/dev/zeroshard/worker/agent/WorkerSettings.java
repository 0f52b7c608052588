package dev.zeroshard.worker.agent;

/**
 * What a worker advertises and how it runs ranks.
 *
 * @param workerId  a name unique in the cluster.
 * @param host      the address other workers reach this worker's Aeron endpoint at.
 * @param aeronPort the UDP port this worker's ranks bind (one rank at a time).
 * @param backend   "cpu" or "cuda": what {@code --backend} resolved to (jobs are placed on matching workers).
 * @param threads   compute threads of a rank.
 */
public record WorkerSettings(String workerId, String host, int aeronPort, String backend, int threads) {
}

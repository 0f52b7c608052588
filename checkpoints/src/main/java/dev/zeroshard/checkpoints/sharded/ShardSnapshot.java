package dev.zeroshard.checkpoints.sharded;

/**
 * A host-memory copy of one rank's optimizer shard: fp32 master weights and Adam's two moments for elements
 * {@code [start, end)} of the flat buffer (global offsets: no world size is baked in). The copy is taken on the
 * training thread; everything after it (writing, fsync, commit) runs in the background.
 */
public record ShardSnapshot(int rank, long start, long end, float[] master, float[] expAvg, float[] expAvgSq) {
    public ShardSnapshot {
        final long length = end - start;
        if (rank < 0 || start < 0 || length < 0 || master.length != length || expAvg.length != length
            || expAvgSq.length != length) {
            throw new IllegalArgumentException("rank " + rank + " shard [" + start + ", " + end + ") does not match "
                + "arrays of " + master.length + ", " + expAvg.length + ", " + expAvgSq.length + " elements");
        }
    }

    public int length() {
        return (int) (end - start);
    }
}

package dev.zeroshard.checkpoints.sharded;

/** The moments of a checkpoint's write and commit at which a crash is survivable; tests inject faults there. */
public enum CommitPoint {
    /** A rank's shard file is written and renamed into the staging directory. */
    SHARD_WRITTEN,
    /** A rank's shard is described by its done-file (size and checksum). */
    SHARD_DONE,
    /** The manifest is written into the staging directory. */
    MANIFEST_WRITTEN,
    /** The staging directory was renamed to the step's directory. */
    DIRECTORY_RENAMED,
    /** The new {@code latest} pointer is written beside the old one. */
    LATEST_WRITTEN,
    /** The {@code latest} pointer was renamed into place. */
    LATEST_RENAMED
}

package dev.zeroshard.worker.zero;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** A test class whose ranks run as threads of this JVM: one shared Aeron driver for the whole class. */
abstract class OnRankThreads {
    @TempDir
    static Path aeronDir;
    static RankThreads ranks;

    @BeforeAll
    static void startDriver() {
        ranks = new RankThreads(aeronDir);
    }

    @AfterAll
    static void stopDriver() {
        ranks.close();
    }
}

package dev.zeroshard.operator;

import java.time.Duration;

/** Retries an assertion until it holds or a deadline passes (then its last failure is thrown). */
final class Eventually {
    private Eventually() {
    }

    static void within(final Duration deadline, final ThrowingRunnable assertion) throws Exception {
        final long until = System.nanoTime() + deadline.toNanos();
        while (true) {
            try {
                assertion.run();
                return;
            } catch (final AssertionError | RuntimeException failure) {
                if (System.nanoTime() > until) {
                    throw failure;
                }
                Thread.sleep(100);
            }
        }
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }
}

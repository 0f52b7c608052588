package dev.zeroshard.worker.agent;

import dev.zeroshard.sharding.collective.CollectiveStall;
import dev.zeroshard.sharding.collective.Communicator;

import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Looks at a rank's communicator once a second and reports, once per stall, a collective that has heard nothing
 * from its peer for {@link RankRun#STALL_REPORT_NS}: the slow or stuck rank is named in the job's event log while
 * the collective's deadline is still far away.
 */
final class StallWatch implements AutoCloseable {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(task -> {
        final Thread thread = new Thread(task, "stall-watch");
        thread.setDaemon(true);
        return thread;
    });
    private boolean reported;

    StallWatch(final Communicator comm, final Consumer<CollectiveStall> report) {
        timer.scheduleWithFixedDelay(() -> {
            final Optional<CollectiveStall> stall = comm.stalledFor(RankRun.STALL_REPORT_NS);
            if (stall.isPresent() && !reported) {
                report.accept(stall.get());
            }
            reported = stall.isPresent();
        }, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}

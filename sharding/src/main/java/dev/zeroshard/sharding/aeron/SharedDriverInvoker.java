package dev.zeroshard.sharding.aeron;

import org.agrona.concurrent.AgentInvoker;

import java.util.concurrent.locks.ReentrantLock;

/**
 * An INVOKER-mode driver's duty cycle shared by several threads: each calls {@link #invoke()} in its own duty
 * cycle and whoever gets the lock runs one driver cycle; the others go on at once. Ranks run as threads of one JVM
 * then share one IPC driver without a driver thread of its own competing with them for the cores.
 */
final class SharedDriverInvoker extends AgentInvoker {
    private final AgentInvoker driver;
    private final ReentrantLock turn = new ReentrantLock();

    SharedDriverInvoker(final AgentInvoker driver) {
        super(Throwable::printStackTrace, null, driver.agent());
        this.driver = driver;
    }

    @Override
    public int invoke() {
        if (!turn.tryLock()) {
            return 0;
        }
        try {
            return driver.invoke();
        } finally {
            turn.unlock();
        }
    }

    @Override
    public boolean isStarted() {
        return driver.isStarted();
    }

    @Override
    public boolean isRunning() {
        return driver.isRunning();
    }

    @Override
    public boolean isClosed() {
        return driver.isClosed();
    }
}

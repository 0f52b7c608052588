package dev.zeroshard.worker.backend.cuda;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/** A CUDA stream (non-blocking with respect to the legacy default stream), with events to order streams. */
public final class CudaStream implements AutoCloseable {
    private final CUstream stream = new CUstream();
    private boolean closed;

    public CudaStream() {
        JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
    }

    public CUstream handle() {
        return stream;
    }

    /** Blocks until everything queued on this stream has run. */
    public void synchronize() {
        JCudaDriver.cuStreamSynchronize(stream);
    }

    /** Work queued on this stream after this call waits for {@code event}. */
    public void waitFor(final Event event) {
        JCudaDriver.cuStreamWaitEvent(stream, event.handle(), 0);
    }

    /** Records {@code event} at this point of the stream. */
    public void record(final Event event) {
        JCudaDriver.cuEventRecord(event.handle(), stream);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            JCudaDriver.cuStreamDestroy(stream);
        }
    }

    /** A CUDA event: a point in a stream that other streams wait for, or a timestamp. */
    public static final class Event implements AutoCloseable {
        private final CUevent event = new CUevent();
        private boolean closed;

        /** An event; {@code timing} false makes it cheaper (ordering only). */
        public Event(final boolean timing) {
            JCudaDriver.cuEventCreate(event, timing ? CUevent_flags.CU_EVENT_DEFAULT
                : CUevent_flags.CU_EVENT_DISABLE_TIMING);
        }

        public CUevent handle() {
            return event;
        }

        public void synchronize() {
            JCudaDriver.cuEventSynchronize(event);
        }

        /** Milliseconds from {@code start} to this event (both recorded with timing, both complete). */
        public float millisSince(final Event start) {
            final float[] ms = new float[1];
            JCudaDriver.cuEventElapsedTime(ms, start.event, event);
            return ms[0];
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                JCudaDriver.cuEventDestroy(event);
            }
        }
    }
}

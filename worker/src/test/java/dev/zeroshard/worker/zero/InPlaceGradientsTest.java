package dev.zeroshard.worker.zero;

import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.worker.backend.GptModelFactory;
import dev.zeroshard.worker.backend.cpu.JavaGemm;
import dev.zeroshard.worker.model.CpuGpt;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.GptModel;
import dev.zeroshard.worker.model.GradientView;
import dev.zeroshard.worker.model.ModelStates;
import dev.zeroshard.worker.model.ParameterView;
import dev.zeroshard.worker.model.Precision;
import dev.zeroshard.worker.train.StepMetrics;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.zeroshard.worker.zero.ZeroEquivalenceTest.GPT;
import static dev.zeroshard.worker.zero.ZeroEquivalenceTest.SEQ_LEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The engine with a model that copies its gradients to host memory of its own ({@link GptModel#hostGradients()}),
 * as the GPU model copies them to its pinned buffer: the store must reduce every bucket where it lies in that
 * memory, at every stage, and give the bits of the same model adding its gradients into the store's arrays (loss,
 * gradient norm, weights, step for step). That is also the plain CPU engine's bits wherever a unit's gradients are
 * summed from zero in both (stages 2 and 3, or one micro-batch per step). The model here is the CPU model behind a
 * store that gives it a zeroed array per unit and copies the finished unit into off-heap memory, as the GPU model's
 * copy stream does.
 */
class InPlaceGradientsTest extends OnRankThreads {
    private static final int STEPS = 4;

    @ParameterizedTest(name = "N={0} stage {1} overlap={2} accumulation={3}")
    @CsvSource({"2, 2, true, 2", "2, 2, false, 1", "3, 3, true, 2", "2, 0, true, 1", "2, 0, true, 2",
        "2, 0, false, 2", "3, 1, true, 3", "2, 1, false, 1"})
    void shouldReduceTheModelsBufferWhereItLiesAndGiveTheBitsOfAddingIntoTheStore(final int world, final int stage,
                                                                                final boolean overlap,
                                                                                final int accumulation)
        throws Exception {
        final DeepSpeedConfig config = ZeroEquivalenceTest.deepspeed(world, stage, overlap, accumulation, true);
        final AtomicInteger takenInPlace = new AtomicInteger();
        final AtomicInteger addedByTheModel = new AtomicInteger();
        final AtomicInteger addedWithoutOffer = new AtomicInteger();

        final List<Run> inPlace = run(world, config, hostCopying(true, takenInPlace, addedByTheModel));
        final List<Run> adding = run(world, config, hostCopying(false, new AtomicInteger(), addedWithoutOffer));
        assertSameRuns(inPlace, adding, "in place against adding into the store");
        if (stage >= 2 || accumulation == 1) {
            assertSameRuns(inPlace, run(world, config, GptModelFactory.cpu(new JavaGemm())),
                "in place against the plain CPU engine");
        }
        assertThat(takenInPlace.get()).as("units whose gradients the store read in the model's buffer").isPositive();
        assertThat(addedByTheModel.get()).as("units the model had to add into the store").isZero();
        assertThat(addedWithoutOffer.get()).as("units added by a model that offers no buffer").isPositive();
    }

    @Test
    void shouldAbortTheRingBeforeFreeingTheModelWhenAStepFailsWithBucketsOnIt() throws Exception {
        final DeepSpeedConfig config = ZeroEquivalenceTest.deepspeed(2, 2, true, 1, true);
        final List<String> seen = ranks.run(2, comm -> {
            final AtomicReference<String> atClose = new AtomicReference<>();
            // backward fails as it begins block 0: the buckets of the blocks above are on the ring
            final GptModelFactory failing = (gpt, batch, seq, precision, states) -> new HostCopyingModel(
                new HostCopyStates(new GptLayout(gpt), states, new AtomicInteger(), new AtomicInteger(),
                    GptLayout.blockUnit(0)), gpt, batch, seq, precision, true,
                () -> atClose.set(String.valueOf(comm.failure())));
            final ZeroEngine engine = new ZeroEngine(GPT, SEQ_LEN, config, failing, comm,
                ZeroEquivalenceTest.loader(comm.rank(), 2)::next, NonFinitePolicy.STOP,
                ZeroEquivalenceTest.initialWeights());
            assertThatThrownBy(engine::trainStep).hasMessageContaining("injected");
            engine.close();
            return atClose.get();
        });
        for (int rank = 0; rank < 2; rank++) {
            assertThat(seen.get(rank)).as("the ring's state when rank %d's model was freed", rank)
                .contains("closed its engine in step 1 with gradient buckets still on the ring");
        }
    }

    private static GptModelFactory hostCopying(final boolean offering, final AtomicInteger takenInPlace,
                                               final AtomicInteger addedByTheModel) {
        return (gpt, batch, seq, precision, states) -> new HostCopyingModel(new HostCopyStates(new GptLayout(gpt),
            states, takenInPlace, addedByTheModel, -1), gpt, batch, seq, precision, offering, null);
    }

    private static List<Run> run(final int world, final DeepSpeedConfig config, final GptModelFactory models)
        throws Exception {
        return ranks.run(world, comm -> steps(new ZeroEngine(GPT, SEQ_LEN, config, models, comm,
            ZeroEquivalenceTest.loader(comm.rank(), world)::next, NonFinitePolicy.STOP,
            ZeroEquivalenceTest.initialWeights())));
    }

    private static void assertSameRuns(final List<Run> actual, final List<Run> expected, final String what) {
        for (int rank = 0; rank < actual.size(); rank++) {
            for (int step = 0; step < STEPS; step++) {
                final String where = what + ", rank " + rank + " step " + (step + 1);
                assertThat(actual.get(rank).metrics().get(step).loss()).as("loss, " + where)
                    .isEqualTo(expected.get(rank).metrics().get(step).loss());
                assertThat(actual.get(rank).metrics().get(step).gradNorm()).as("gradient norm, " + where)
                    .isEqualTo(expected.get(rank).metrics().get(step).gradNorm());
            }
            assertThat(actual.get(rank).weightsChecksum()).as("weights after the last step, %s, rank %d", what, rank)
                .isEqualTo(expected.get(rank).weightsChecksum());
        }
    }

    private record Run(List<StepMetrics> metrics, long weightsChecksum) {
    }

    private static Run steps(final ZeroEngine engine) {
        try (engine) {
            final List<StepMetrics> metrics = new ArrayList<>();
            for (int step = 0; step < STEPS; step++) {
                metrics.add(engine.trainStep());
            }
            return new Run(metrics, engine.computeWeightsChecksum());
        }
    }

    /** The CPU model on {@link HostCopyStates}, whose off-heap copy it offers as its host gradients, or not. */
    private static final class HostCopyingModel implements GptModel {
        private final CpuGpt model;
        private final HostCopyStates states;
        private final boolean offering;
        private final Runnable onClose;

        HostCopyingModel(final HostCopyStates states, final GptConfig config, final int batch, final int seq,
                         final Precision precision, final boolean offering, final Runnable onClose) {
            this.model = new CpuGpt(config, batch, seq, precision, new JavaGemm(), states);
            this.states = states;
            this.offering = offering;
            this.onClose = onClose;
        }

        @Override
        public MutableDirectBuffer hostGradients() {
            return offering ? states.host : null;
        }

        // @formatter:off
        @Override public GptLayout layout() { return model.layout(); }
        @Override public int batchSize() { return model.batchSize(); }
        @Override public int seqLen() { return model.seqLen(); }
        @Override public float[] parameters() { return model.parameters(); }
        @Override public float[] gradients() { return model.gradients(); }
        @Override public void zeroGradients() { model.zeroGradients(); }
        @Override public float forward(final int[] inputs, final int[] targets) {
            return model.forward(inputs, targets);
        }
        @Override public float forwardBackward(final int[] inputs, final int[] targets, final float gradScale) {
            return model.forwardBackward(inputs, targets, gradScale);
        }
        @Override public void parametersChanged() { model.parametersChanged(); }
        @Override public long activationBytes() { return model.activationBytes(); }
        @Override public void close() {
            if (onClose != null) {
                onClose.run();
            }
            model.close();
        }
        // @formatter:on
    }

    /**
     * Between the CPU model and the engine's store: backward adds each unit into a zeroed array; when the unit ends,
     * its values go to off-heap memory at their layout offsets, and, unless the store reads them there, are added
     * into the store's view as the GPU model adds them.
     */
    private static final class HostCopyStates implements ModelStates {
        private final GptLayout layout;
        private final ModelStates store;
        private final AtomicInteger takenInPlace;
        private final AtomicInteger addedByTheModel;
        private final float[] unitGradients;
        private final UnsafeBuffer host;
        private final GradientView[] views;
        private final int failingUnit;

        /** @param failingUnit the unit whose gradients' beginning throws, or -1. */
        HostCopyStates(final GptLayout layout, final ModelStates store, final AtomicInteger takenInPlace,
                       final AtomicInteger addedByTheModel, final int failingUnit) {
            this.layout = layout;
            this.store = store;
            this.takenInPlace = takenInPlace;
            this.addedByTheModel = addedByTheModel;
            this.failingUnit = failingUnit;
            this.unitGradients = new float[layout.totalElements()];
            this.host = new UnsafeBuffer(ByteBuffer.allocateDirect(Float.BYTES * layout.totalElements())
                .order(ByteOrder.nativeOrder()));
            this.views = new GradientView[layout.unitCount()];
            for (int unit = 0; unit < views.length; unit++) {
                views[unit] = new GradientView();
            }
        }

        @Override
        public void acquireParameters(final int unit, final ParameterView view) {
            store.acquireParameters(unit, view);
        }

        @Override
        public void releaseParameters(final int unit) {
            store.releaseParameters(unit);
        }

        @Override
        public void beginGradients(final int unit, final GradientView view) {
            if (unit == failingUnit) {
                throw new IllegalStateException("injected failure at the gradients of " + layout.unitName(unit));
            }
            Arrays.fill(unitGradients, layout.unitStart(unit), layout.unitEnd(unit), 0f);
            view.set(unitGradients, 0);
            store.beginGradients(unit, views[unit]);
        }

        @Override
        public void endGradients(final int unit) {
            final GradientView view = views[unit];
            for (int o = layout.unitStart(unit); o < layout.unitEnd(unit); o++) {
                host.putFloat(Float.BYTES * o, unitGradients[o], ByteOrder.nativeOrder());
            }
            if (view.inModel()) {
                takenInPlace.incrementAndGet();
            } else {
                addedByTheModel.incrementAndGet();
                for (int o = layout.unitStart(unit); o < layout.unitEnd(unit); o++) {
                    view.values()[o + view.shift()] += host.getFloat(Float.BYTES * o, ByteOrder.nativeOrder());
                }
            }
            store.endGradients(unit);
        }
    }
}

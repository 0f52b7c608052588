package dev.zeroshard.worker.backend.cuda;

import dev.zeroshard.worker.backend.cpu.JavaGemm;
import dev.zeroshard.worker.model.CpuGpt;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.GradientView;
import dev.zeroshard.worker.model.ParameterView;
import dev.zeroshard.worker.model.Precision;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.zeroshard.worker.backend.cuda.GpuTesting.tokens;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The GPU model's backward order, without a GPU: its store calls are exactly {@code CpuGpt}'s backward calls, and
 * each unit is handed to the store only after the next unit's kernels are queued (the overlap).
 */
class BackwardOrderTest {
    private static final GptConfig CONFIG = GptConfig.gpt2(50, 16, 32, 3, 2);
    private static final String[] UNIT_NAMES = {"embeddings", "block 0", "block 1", "block 2", "final norm"};

    @Test
    void shouldMakeTheCpuModelsStoreCallsOneUnitBehindTheKernels() {
        final GptLayout layout = new GptLayout(CONFIG);
        final List<String> expected = cpuBackwardCalls();
        final RecordingStates store = new RecordingStates(CONFIG, 3);

        BackwardOrder.run(layout, store, new RecordingSteps(store), new ParameterView(), new GradientView(),
            new GradientView());

        final List<String> storeCalls = new ArrayList<>(store.calls);
        storeCalls.removeIf(call -> call.startsWith("launch") || call.startsWith("add"));
        assertThat(storeCalls).isEqualTo(expected);
        final List<String> log = store.calls;
        // the final norm is handed over once block 2's kernels are queued, block b once block b-1's, block 0 once
        // the embeddings', and every unit's gradients are added before its end
        assertThat(log.indexOf("end 4")).isGreaterThan(log.indexOf("launch block 2"));
        assertThat(log.indexOf("end 3")).isGreaterThan(log.indexOf("launch block 1"));
        assertThat(log.indexOf("end 2")).isGreaterThan(log.indexOf("launch block 0"));
        assertThat(log.indexOf("end 1")).isGreaterThan(log.indexOf("launch embeddings"));
        for (int unit = 0; unit < layout.unitCount(); unit++) {
            assertThat(log.indexOf("add " + unit)).as(UNIT_NAMES[unit]).isBetween(log.indexOf("begin " + unit),
                log.indexOf("end " + unit));
        }
    }

    @Test
    void shouldOnlyQueueTheKernelsForAModelHoldingItsOwnBuffers() {
        final List<String> log = new ArrayList<>();
        final RecordingSteps steps = new RecordingSteps(null) {
            @Override
            void record(final String call) {
                log.add(call);
            }
        };

        BackwardOrder.run(new GptLayout(CONFIG), null, steps, new ParameterView(), new GradientView(),
            new GradientView());

        assertThat(log).containsExactly("launch head", "launch block 2", "launch block 1", "launch block 0",
            "launch embeddings");
    }

    /** CpuGpt's store calls during backward: forwardBackward's calls after those its forward made. */
    private static List<String> cpuBackwardCalls() {
        final int[] inputs = tokens(1, 2 * 8, CONFIG.vocabSize());
        final int[] targets = tokens(2, 2 * 8, CONFIG.vocabSize());
        final RecordingStates forwardOnly = new RecordingStates(CONFIG, 3);
        final RecordingStates both = new RecordingStates(CONFIG, 3);
        try (CpuGpt forward = new CpuGpt(CONFIG, 2, 8, Precision.BF16, new JavaGemm(), forwardOnly);
             CpuGpt full = new CpuGpt(CONFIG, 2, 8, Precision.BF16, new JavaGemm(), both)) {
            forward.forward(inputs, targets);
            full.forwardBackward(inputs, targets, 1f / 16);
        }
        // forward() ends by releasing the embeddings and the final norm, which forwardBackward leaves to backward
        final int forwardCalls = forwardOnly.calls.size() - 2;
        assertThat(both.calls.subList(0, forwardCalls)).isEqualTo(forwardOnly.calls.subList(0, forwardCalls));
        return new ArrayList<>(both.calls.subList(forwardCalls, both.calls.size()));
    }

    /** Steps that only record, in the store's log, what the GPU model would queue or do. */
    private static class RecordingSteps implements BackwardOrder.Steps {
        private final RecordingStates store;

        RecordingSteps(final RecordingStates store) {
            this.store = store;
        }

        void record(final String call) {
            store.calls.add(call);
        }

        @Override
        public void head() {
            record("launch head");
        }

        @Override
        public void block(final int layer) {
            record("launch block " + layer);
        }

        @Override
        public void embeddings() {
            record("launch embeddings");
        }

        @Override
        public void acquire(final int unit, final ParameterView view) {
            store.acquireParameters(unit, view);
        }

        @Override
        public void addGradients(final int unit, final GradientView view) {
            record("add " + unit);
        }
    }
}

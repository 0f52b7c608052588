package dev.zeroshard.worker.backend.cuda;

import dev.zeroshard.worker.model.DenseStates;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptInitializer;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.GradientView;
import dev.zeroshard.worker.model.ModelStates;
import dev.zeroshard.worker.model.ParameterView;
import dev.zeroshard.worker.model.Precision;

import java.util.ArrayList;
import java.util.List;

/**
 * A whole-buffer bf16 store that records every call ("acquire 2", "end 0") and shows its weights at the version the
 * test sets, as a ZeRO engine's store does.
 */
final class RecordingStates implements ModelStates {
    final DenseStates dense;
    final List<String> calls = new ArrayList<>();
    long version;

    /** A store holding {@code config}'s weights initialised from {@code seed}, rounded to bf16. */
    RecordingStates(final GptConfig config, final long seed) {
        final GptLayout layout = new GptLayout(config);
        dense = new DenseStates(layout, Precision.BF16);
        GptInitializer.initialize(layout, seed, dense.parameters());
        dense.parametersChanged();
    }

    @Override
    public void acquireParameters(final int unit, final ParameterView view) {
        calls.add("acquire " + unit);
        dense.acquireParameters(unit, view);
        view.set(view.values(), view.valuesShift(), view.bits(), view.bitsShift(), version);
    }

    @Override
    public void releaseParameters(final int unit) {
        calls.add("release " + unit);
    }

    @Override
    public void beginGradients(final int unit, final GradientView view) {
        calls.add("begin " + unit);
        dense.beginGradients(unit, view);
    }

    @Override
    public void endGradients(final int unit) {
        calls.add("end " + unit);
    }
}

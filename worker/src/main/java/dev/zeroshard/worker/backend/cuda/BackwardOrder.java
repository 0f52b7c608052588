package dev.zeroshard.worker.backend.cuda;

import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.GradientView;
import dev.zeroshard.worker.model.ModelStates;
import dev.zeroshard.worker.model.ParameterView;

/**
 * The order of a GPU model's backward: its units' kernels, head first, and on a store the store calls, made in
 * {@code CpuGpt}'s order but one unit behind the kernels. While the GPU computes unit u, the host finishes the unit
 * before it (release, add its copied gradients, end) and starts u (acquire, begin). Ranks start collectives from
 * these calls (stage 3's prefetch on acquire, the buckets' reduce-scatter on end), so a rank on either backend
 * starts them in the same order. Apart from the kernels so that the order is tested without a GPU.
 */
final class BackwardOrder {
    /** What each step of backward does on the device and on the host. */
    interface Steps {
        /** Queues the LM head's and the final norm's backward and the copy of the final norm's gradients. */
        void head();

        /** Queues block {@code layer}'s backward and the copy of its gradients. */
        void block(int layer);

        /** Queues the embeddings' backward and the copy of their gradients. */
        void embeddings();

        /** Backward's acquisition of {@code unit} (its kernels may already be queued). */
        void acquire(int unit, ParameterView view);

        /** Waits for {@code unit}'s copied gradients and adds them into {@code view}. */
        void addGradients(int unit, GradientView view);
    }

    private BackwardOrder() {
    }

    /**
     * Runs backward over {@code layers} blocks; with {@code states} null (a model holding its own buffers) only the
     * kernels.
     */
    static void run(final GptLayout layout, final ModelStates states, final Steps steps,
                    final ParameterView blockParams, final GradientView embeddingGrads,
                    final GradientView unitGrads) {
        final int embeddings = GptLayout.embeddingUnit();
        final int finalNorm = layout.finalNormUnit();
        final int layers = layout.config().layers();
        if (states != null) {
            states.beginGradients(embeddings, embeddingGrads);
            states.beginGradients(finalNorm, unitGrads);
        }
        steps.head();
        for (int l = layers - 1; l >= 0; l--) {
            steps.block(l);
            if (states == null) {
                continue;
            }
            if (l == layers - 1) {
                states.releaseParameters(embeddings);
                states.releaseParameters(finalNorm);
                end(states, steps, finalNorm, unitGrads);
            } else {
                states.releaseParameters(GptLayout.blockUnit(l + 1));
                end(states, steps, GptLayout.blockUnit(l + 1), unitGrads);
            }
            steps.acquire(GptLayout.blockUnit(l), blockParams);
            states.beginGradients(GptLayout.blockUnit(l), unitGrads);
        }
        steps.embeddings();
        if (states != null) {
            states.releaseParameters(GptLayout.blockUnit(0));
            end(states, steps, GptLayout.blockUnit(0), unitGrads);
            end(states, steps, embeddings, embeddingGrads);
        }
    }

    private static void end(final ModelStates states, final Steps steps, final int unit, final GradientView view) {
        steps.addGradients(unit, view);
        states.endGradients(unit);
    }
}

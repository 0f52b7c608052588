package dev.zeroshard.worker.model;

import dev.zeroshard.worker.backend.cpu.Gemm;
import dev.zeroshard.worker.backend.cpu.MatrixBuffer;
import dev.zeroshard.worker.backend.cpu.Operand;
import dev.zeroshard.worker.ops.CrossEntropy;
import dev.zeroshard.worker.ops.Encoder;
import dev.zeroshard.worker.ops.FlashAttention;
import dev.zeroshard.worker.ops.Gelu;
import dev.zeroshard.worker.ops.LayerNorm;
import dev.zeroshard.worker.ops.Matmul;
import dev.zeroshard.worker.ops.Residual;

import java.util.Arrays;

import static dev.zeroshard.worker.model.BlockTensor.ATTN_PROJ_BIAS;
import static dev.zeroshard.worker.model.BlockTensor.ATTN_PROJ_WEIGHT;
import static dev.zeroshard.worker.model.BlockTensor.ATTN_QKV_BIAS;
import static dev.zeroshard.worker.model.BlockTensor.ATTN_QKV_WEIGHT;
import static dev.zeroshard.worker.model.BlockTensor.LN_1_BIAS;
import static dev.zeroshard.worker.model.BlockTensor.LN_1_WEIGHT;
import static dev.zeroshard.worker.model.BlockTensor.LN_2_BIAS;
import static dev.zeroshard.worker.model.BlockTensor.LN_2_WEIGHT;
import static dev.zeroshard.worker.model.BlockTensor.MLP_FC_BIAS;
import static dev.zeroshard.worker.model.BlockTensor.MLP_FC_WEIGHT;
import static dev.zeroshard.worker.model.BlockTensor.MLP_PROJ_BIAS;
import static dev.zeroshard.worker.model.BlockTensor.MLP_PROJ_WEIGHT;

/**
 * GPT-2 on the CPU: the forward pass reads like the architecture, the backward pass is its mirror,
 * each op one stateless kernel over flat buffers (llm.c's structure). Activations are sized once
 * for (B,T); a call with another shape is refused.
 *
 * <p>Every activation that is a matrix input (the LayerNorm outputs, the attention output, the GELU
 * output) is written once, in the matrix precision (bf16 in BF16 mode), into a {@link MatrixBuffer}
 * of the {@link Gemm}: off-heap for the native libraries, which then read it in place in the forward
 * product and again in the weight-gradient product. Backward writes each upstream gradient into one
 * such buffer for both of its products.
 */
public final class CpuGpt implements GptModel {
    private final GptConfig config;
    private final GptLayout layout;
    private final Precision precision;
    private final Gemm gemm;
    private final int B;
    private final int T;
    private final boolean bf16;
    private final ModelStates states;
    /** The store of a model built without one; null when a ZeRO engine supplies {@link #states}. */
    private final DenseStates dense;
    private final ParameterView embeddingParams = new ParameterView();
    private final ParameterView blockParams = new ParameterView();
    private final ParameterView finalNormParams = new ParameterView();
    private final GradientView embeddingGrads = new GradientView();
    private final GradientView blockGrads = new GradientView();
    private final GradientView finalNormGrads = new GradientView();
    private final Activations acts;
    /** Wall time per kind of op, for benchmarks; null (no clock reads) unless enabled. */
    private long[] opNanos;
    private long lapStartNs;

    /** A model that holds its whole flat buffer itself ({@link DenseStates}). */
    public CpuGpt(final GptConfig config, final int batchSize, final int seqLen, final Precision precision,
        final Gemm gemm) {
        this(config, batchSize, seqLen, precision, gemm, null);
    }

    /**
     * A model whose parameters and gradients live in {@code states} (a ZeRO engine's); {@link #parameters()} and
     * {@link #gradients()} are then not available.
     */
    public CpuGpt(final GptConfig config, final int batchSize, final int seqLen, final Precision precision,
        final Gemm gemm, final ModelStates states) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size " + batchSize + " < 1");
        }
        if (seqLen < 1 || seqLen > config.maxSeqLen()) {
            throw new IllegalArgumentException("sequence length " + seqLen + " is outside [1, n_positions="
                + config.maxSeqLen() + "]");
        }
        this.config = config;
        this.layout = new GptLayout(config);
        this.precision = precision;
        this.gemm = gemm;
        this.B = batchSize;
        this.T = seqLen;
        this.bf16 = precision == Precision.BF16;
        this.dense = states == null ? new DenseStates(layout, precision) : null;
        this.states = states == null ? dense : states;
        this.acts = new Activations(config, batchSize, seqLen, precision == Precision.BF16, gemm);
    }

    @Override
    public GptLayout layout() {
        return layout;
    }

    @Override
    public int batchSize() {
        return B;
    }

    @Override
    public int seqLen() {
        return T;
    }

    @Override
    public float[] parameters() {
        return dense().parameters();
    }

    @Override
    public float[] gradients() {
        return dense().gradients();
    }

    @Override
    public long activationBytes() {
        return acts.bytes;
    }

    /** What {@link #activationBytes()} will be for a model of this shape, without allocating it. */
    public static long activationBytes(final GptConfig config, final int batchSize, final int seqLen,
        final Precision precision) {
        return new Activations(config, batchSize, seqLen, precision == Precision.BF16, null).bytes;
    }

    private DenseStates dense() {
        if (dense == null) {
            throw new IllegalStateException("this model's parameters and gradients live in a ZeRO engine's store");
        }
        return dense;
    }

    public Precision precision() {
        return precision;
    }

    /**
     * Frees the native memory of the matrix-input buffers now (otherwise it goes when the model is
     * collected); the model must not be used afterwards.
     */
    @Override
    public void close() {
        acts.close();
    }

    @Override
    public void zeroGradients() {
        dense().zeroGradients();
    }

    @Override
    public void parametersChanged() {
        dense().parametersChanged();
    }

    /** Kinds of op whose wall time {@link #opNanos()} reports. */
    enum Op { ENCODER, LAYER_NORM, MATMUL, ATTENTION, GELU, RESIDUAL, CROSS_ENTROPY, MATRIX_INPUT, ZERO_FILL }

    /** Starts (or restarts) per-op timing: a benchmark's view, off by default. */
    void enableOpTiming() {
        opNanos = new long[Op.values().length];
    }

    /** Nanoseconds spent per {@link Op} since {@link #enableOpTiming()}, indexed by ordinal. */
    long[] opNanos() {
        return opNanos;
    }

    private void startLaps() {
        if (opNanos != null) {
            lapStartNs = System.nanoTime();
        }
    }

    /** Charges the time since the previous lap to {@code op}. */
    private void lap(final Op op) {
        if (opNanos != null) {
            final long now = System.nanoTime();
            opNanos[op.ordinal()] += now - lapStartNs;
            lapStartNs = now;
        }
    }

    @Override
    public float forward(final int[] inputs, final int[] targets) {
        checkTokens(inputs, "inputs");
        checkTokens(targets, "targets");
        forwardToLogits(inputs);
        states.releaseParameters(GptLayout.embeddingUnit());
        states.releaseParameters(layout.finalNormUnit());
        return (float)(CrossEntropy.forwardBackward(acts.logits, 0, acts.losses, 0, targets, 0, B * T,
            config.vocabSize(), 0f) / (B * T));
    }

    @Override
    public float forwardBackward(final int[] inputs, final int[] targets, final float gradScale) {
        checkTokens(inputs, "inputs");
        checkTokens(targets, "targets");
        forwardToLogits(inputs);
        startLaps();
        final float loss = (float)(CrossEntropy.forwardBackward(acts.logits, 0, acts.losses, 0, targets, 0, B * T,
            config.vocabSize(), gradScale) / (B * T));
        lap(Op.CROSS_ENTROPY);
        backward(inputs);
        return loss;
    }

    /** The logits (B,T,V) of the last {@link #forward}; overwritten by the next call. */
    public float[] logits() {
        return acts.logits;
    }

    /** Forward to the logits; leaves the final norm's and the embeddings' parameters acquired. */
    private void forwardToLogits(final int[] inputs) {
        final int C = config.channels();
        final int NH = config.heads();
        final int inner = config.innerChannels();
        final int BT = B * T;
        final float eps = config.layerNormEps();
        final Activations a = acts;
        final int wte = layout.offset(GptLayout.TOKEN_EMBEDDING);
        final int wpe = layout.offset(GptLayout.POSITION_EMBEDDING);
        final ParameterView pe = embeddingParams;
        final ParameterView pb = blockParams;
        final ParameterView pf = finalNormParams;
        startLaps();

        states.acquireParameters(GptLayout.embeddingUnit(), pe);
        if (bf16) {
            Encoder.forwardBf16(a.encoded, 0, inputs, 0, pe.bits, wte + pe.bitsShift, wpe + pe.bitsShift, B, T, C);
        } else {
            Encoder.forward(a.encoded, 0, inputs, 0, pe.values, wte + pe.valuesShift, wpe + pe.valuesShift, B, T, C);
        }
        states.releaseParameters(GptLayout.embeddingUnit());
        lap(Op.ENCODER);
        for (int l = 0; l < config.layers(); l++) {
            final float[] residual = l == 0 ? a.encoded : a.residual3;
            final int residualOff = l == 0 ? 0 : (l - 1) * BT * C;
            final int btc = l * BT * C;
            final int bt = l * BT;
            states.acquireParameters(GptLayout.blockUnit(l), pb);
            // attention sub-block: x + proj(attn(ln_1(x)))
            LayerNorm.forward(a.ln1, btc, a.ln1Mean, bt, a.ln1Rstd, bt, residual, residualOff, pb.values,
                layout.offset(LN_1_WEIGHT, l) + pb.valuesShift, layout.offset(LN_1_BIAS, l) + pb.valuesShift, BT, C, eps);
            lap(Op.LAYER_NORM);
            linearForward(a.qkv, l * BT * 3 * C, Operand.of(a.ln1, btc, C), pb, layout.offset(ATTN_QKV_WEIGHT, l),
                layout.offset(ATTN_QKV_BIAS, l), BT, C, 3 * C);
            lap(Op.MATMUL);
            FlashAttention.forward(a.atty, btc, a.lse, l * B * NH * T, a.qkv, l * BT * 3 * C, B, T, C, NH);
            lap(Op.ATTENTION);
            // attention backward reads atty (its output O) at bf16 precision too, as autocast keeps O in bf16
            a.attyInput.writeRoundingSource(btc, a.atty, btc, BT * C);
            lap(Op.MATRIX_INPUT);
            linearForward(a.attproj, btc, Operand.of(a.attyInput, btc, C), pb, layout.offset(ATTN_PROJ_WEIGHT, l),
                layout.offset(ATTN_PROJ_BIAS, l), BT, C, C);
            lap(Op.MATMUL);
            Residual.forward(a.residual2, btc, residual, residualOff, a.attproj, btc, BT * C);
            lap(Op.RESIDUAL);
            // MLP sub-block: x + proj(gelu(fc(ln_2(x))))
            LayerNorm.forward(a.ln2, btc, a.ln2Mean, bt, a.ln2Rstd, bt, a.residual2, btc, pb.values,
                layout.offset(LN_2_WEIGHT, l) + pb.valuesShift, layout.offset(LN_2_BIAS, l) + pb.valuesShift, BT, C, eps);
            lap(Op.LAYER_NORM);
            final int bti = l * BT * inner;
            linearForward(a.fch, bti, Operand.of(a.ln2, btc, C), pb, layout.offset(MLP_FC_WEIGHT, l),
                layout.offset(MLP_FC_BIAS, l), BT, C, inner);
            lap(Op.MATMUL);
            Gelu.forward(a.fchGelu, bti, a.fch, bti, BT * inner);
            lap(Op.GELU);
            linearForward(a.fcproj, btc, Operand.of(a.fchGelu, bti, inner), pb, layout.offset(MLP_PROJ_WEIGHT, l),
                layout.offset(MLP_PROJ_BIAS, l), BT, inner, C);
            lap(Op.MATMUL);
            Residual.forward(a.residual3, btc, a.residual2, btc, a.fcproj, btc, BT * C);
            lap(Op.RESIDUAL);
            states.releaseParameters(GptLayout.blockUnit(l));
        }
        final int last = (config.layers() - 1) * BT * C;
        states.acquireParameters(layout.finalNormUnit(), pf);
        LayerNorm.forward(a.lnf, 0, a.lnfMean, 0, a.lnfRstd, 0, a.residual3, last, pf.values,
            layout.offset(GptLayout.FINAL_NORM_WEIGHT) + pf.valuesShift, layout.offset(GptLayout.FINAL_NORM_BIAS) + pf.valuesShift,
            BT, C, eps);
        lap(Op.LAYER_NORM);
        // the LM head is the token embedding, transposed
        states.acquireParameters(GptLayout.embeddingUnit(), pe);
        Matmul.forwardTransposed(gemm, a.logits, 0, Operand.of(a.lnf, 0, C), weight(pe, wte, C), BT, C,
            config.vocabSize());
        lap(Op.MATMUL);
    }

    /** Backward from the dlogits that cross-entropy left in the logits buffer. */
    private void backward(final int[] inputs) {
        final int C = config.channels();
        final int NH = config.heads();
        final int inner = config.innerChannels();
        final int BT = B * T;
        final Activations a = acts;
        final int wte = layout.offset(GptLayout.TOKEN_EMBEDDING);
        final int wpe = layout.offset(GptLayout.POSITION_EMBEDDING);
        final int lnfWeight = layout.offset(GptLayout.FINAL_NORM_WEIGHT);
        final int lnfBias = layout.offset(GptLayout.FINAL_NORM_BIAS);
        final ParameterView pe = embeddingParams;
        final ParameterView pb = blockParams;
        final ParameterView pf = finalNormParams;
        final GradientView ge = embeddingGrads;
        final GradientView gb = blockGrads;
        final GradientView gf = finalNormGrads;
        startLaps();
        states.beginGradients(GptLayout.embeddingUnit(), ge);
        states.beginGradients(layout.finalNormUnit(), gf);

        // d(residual stream): one buffer the residual connections pass through unchanged
        final float[] dres = a.dresidual;
        Arrays.fill(dres, 0f);
        lap(Op.ZERO_FILL);
        // bf16: dlogits rounded once for both products; fp32: read where they are (no copy of (B·T, V))
        final Operand dlogits;
        if (bf16) {
            a.dout.write(0, a.logits, 0, BT * config.vocabSize());
            lap(Op.MATRIX_INPUT);
            dlogits = Operand.of(a.dout, 0, config.vocabSize());
        } else {
            dlogits = Operand.of(a.logits, 0, config.vocabSize());
        }
        Matmul.backwardTransposed(gemm, a.dln, 0, ge.values, wte + ge.shift, dlogits, Operand.of(a.lnf, 0, C),
            weight(pe, wte, C), BT, C, config.vocabSize());
        states.releaseParameters(GptLayout.embeddingUnit());
        lap(Op.MATMUL);
        final int last = (config.layers() - 1) * BT * C;
        LayerNorm.backward(dres, 0, gf.values, lnfWeight + gf.shift, lnfBias + gf.shift, a.dln, 0, a.residual3, last,
            pf.values, lnfWeight + pf.valuesShift, a.lnfMean, 0, a.lnfRstd, 0, BT, C, a.lnScratch);
        states.releaseParameters(layout.finalNormUnit());
        states.endGradients(layout.finalNormUnit());
        lap(Op.LAYER_NORM);

        for (int l = config.layers() - 1; l >= 0; l--) {
            final float[] residual = l == 0 ? a.encoded : a.residual3;
            final int residualOff = l == 0 ? 0 : (l - 1) * BT * C;
            final int btc = l * BT * C;
            final int bt = l * BT;
            final int bti = l * BT * inner;
            states.acquireParameters(GptLayout.blockUnit(l), pb);
            states.beginGradients(GptLayout.blockUnit(l), gb);
            // MLP: dres holds d(residual3); it is also d(fcproj) and, passed through, d(residual2)
            linearBackward(a.dfch, pb, gb, layout.offset(MLP_PROJ_WEIGHT, l), layout.offset(MLP_PROJ_BIAS, l),
                dres, Operand.of(a.fchGelu, bti, inner), BT, inner, C);
            // d(fch) = gelu'(fch) · d(gelu output), in place over the gradient the product just wrote
            Gelu.backward(a.dfch, 0, a.fch, bti, a.dfch, 0, BT * inner, false);
            lap(Op.GELU);
            linearBackward(a.dln, pb, gb, layout.offset(MLP_FC_WEIGHT, l), layout.offset(MLP_FC_BIAS, l), a.dfch,
                Operand.of(a.ln2, btc, C), BT, C, inner);
            LayerNorm.backward(dres, 0, gb.values, layout.offset(LN_2_WEIGHT, l) + gb.shift,
                layout.offset(LN_2_BIAS, l) + gb.shift, a.dln, 0, a.residual2, btc, pb.values,
                layout.offset(LN_2_WEIGHT, l) + pb.valuesShift, a.ln2Mean, bt, a.ln2Rstd, bt, BT, C, a.lnScratch);
            lap(Op.LAYER_NORM);
            // attention: dres now holds d(residual2), which is d(attproj) and, passed through, d(x)
            linearBackward(a.datty, pb, gb, layout.offset(ATTN_PROJ_WEIGHT, l), layout.offset(ATTN_PROJ_BIAS, l),
                dres, Operand.of(a.attyInput, btc, C), BT, C, C);
            FlashAttention.backward(a.dqkv, 0, a.datty, 0, a.atty, btc, a.lse, l * B * NH * T, a.qkv,
                l * BT * 3 * C, B, T, C, NH, false);
            lap(Op.ATTENTION);
            linearBackward(a.dln, pb, gb, layout.offset(ATTN_QKV_WEIGHT, l), layout.offset(ATTN_QKV_BIAS, l), a.dqkv,
                Operand.of(a.ln1, btc, C), BT, C, 3 * C);
            LayerNorm.backward(dres, 0, gb.values, layout.offset(LN_1_WEIGHT, l) + gb.shift,
                layout.offset(LN_1_BIAS, l) + gb.shift, a.dln, 0, residual, residualOff, pb.values,
                layout.offset(LN_1_WEIGHT, l) + pb.valuesShift, a.ln1Mean, bt, a.ln1Rstd, bt, BT, C, a.lnScratch);
            lap(Op.LAYER_NORM);
            states.releaseParameters(GptLayout.blockUnit(l));
            states.endGradients(GptLayout.blockUnit(l));
        }
        Encoder.backward(ge.values, wte + ge.shift, wpe + ge.shift, dres, 0, inputs, 0, B, T, C);
        lap(Op.ENCODER);
        states.endGradients(GptLayout.embeddingUnit());
    }

    /** A weight (rows, ld) of the acquired parameters: bf16 bits in BF16 mode, else fp32; offset is the layout's. */
    private Operand weight(final ParameterView p, final int offset, final int ld) {
        return bf16 ? Operand.ofBits(p.bits, offset + p.bitsShift, ld) : Operand.of(p.values, offset + p.valuesShift, ld);
    }

    /** out (N,OC) = inp (N,C) · weight + bias; offsets are the layout's. */
    private void linearForward(final float[] out, final int outOff, final Operand inp, final ParameterView p,
        final int weightOff, final int biasOff, final int n, final int c, final int oc) {
        Matmul.forward(gemm, out, outOff, inp, weight(p, weightOff, oc), p.values, biasOff + p.valuesShift, n, c, oc);
    }

    /**
     * The gradients of {@link #linearForward}: dinp (from offset 0) is written, weight and bias
     * gradients added; dout (N,OC) from offset 0 goes once into the matrix-input buffer for both products.
     */
    private void linearBackward(final float[] dinp, final ParameterView p, final GradientView g, final int weightOff,
        final int biasOff, final float[] dout, final Operand inp, final int n, final int c, final int oc) {
        acts.dout.write(0, dout, 0, n * oc);
        lap(Op.MATRIX_INPUT);
        Matmul.backward(gemm, dinp, 0, g.values, weightOff + g.shift, g.values, biasOff + g.shift, dout, 0,
            Operand.of(acts.dout, 0, oc), inp, weight(p, weightOff, oc), n, c, oc);
        lap(Op.MATMUL);
    }

    private void checkTokens(final int[] tokens, final String what) {
        if (tokens.length != B * T) {
            throw new IllegalArgumentException(what + " has " + tokens.length + " tokens; this model was sized for"
                + " B=" + B + " x T=" + T + " = " + (B * T));
        }
        final int vocab = config.vocabSize();
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new IllegalArgumentException(what + "[" + (i / T) + "," + (i % T) + "] = " + tokens[i]
                    + " is not a token id of this model (vocab_size=" + vocab + ")");
            }
        }
    }

    /** Every activation forward keeps for backward, plus backward's per-layer scratch. */
    private static final class Activations implements AutoCloseable {
        final float[] encoded;
        final float[] ln1Mean;
        final float[] ln1Rstd;
        final float[] qkv;
        /** The attention output O in fp32 (attention backward reads it); at bf16 precision in BF16 mode. */
        final float[] atty;
        final float[] lse;
        final float[] attproj;
        final float[] residual2;
        final float[] ln2Mean;
        final float[] ln2Rstd;
        final float[] fch;
        final float[] fcproj;
        final float[] residual3;
        final float[] lnfMean;
        final float[] lnfRstd;
        final float[] logits;
        final float[] losses;
        final float[] dresidual;
        final float[] dln;
        final float[] datty;
        final float[] dqkv;
        /** d(GELU output), then, in place, d(fch). */
        final float[] dfch;
        final float[] lnScratch;
        /** Matrix inputs in the matrix precision, all layers: ln_1, attention and ln_2 outputs, GELU output. */
        final MatrixBuffer ln1;
        final MatrixBuffer attyInput;
        final MatrixBuffer ln2;
        final MatrixBuffer fchGelu;
        /** The final LayerNorm's output, the LM head's input. */
        final MatrixBuffer lnf;
        /**
         * One backward product's upstream gradient in the matrix precision: (B·T, max(3C, 4C)), and
         * (B·T, V) in BF16 mode, where the logits' gradient is rounded too (fp32 mode reads it in place).
         */
        final MatrixBuffer dout;
        /** Bytes of all of the above (heap and buffers). */
        long bytes;
        /** The Gemm whose buffers these are; null to only count {@link #bytes} (everything stays null). */
        private final Gemm gemm;
        private final boolean bf16;

        Activations(final GptConfig config, final int B, final int T, final boolean bf16, final Gemm gemm) {
            this.gemm = gemm;
            this.bf16 = bf16;
            final long L = config.layers();
            final long C = config.channels();
            final long BT = (long)B * T;
            final long inner = config.innerChannels();
            encoded = alloc("encoded", BT * C);
            ln1Mean = alloc("ln1Mean", L * BT);
            ln1Rstd = alloc("ln1Rstd", L * BT);
            qkv = alloc("qkv", L * BT * 3 * C);
            atty = alloc("atty", L * BT * C);
            lse = alloc("lse", L * B * config.heads() * T);
            attproj = alloc("attproj", L * BT * C);
            residual2 = alloc("residual2", L * BT * C);
            ln2Mean = alloc("ln2Mean", L * BT);
            ln2Rstd = alloc("ln2Rstd", L * BT);
            fch = alloc("fch", L * BT * inner);
            fcproj = alloc("fcproj", L * BT * C);
            residual3 = alloc("residual3", L * BT * C);
            lnfMean = alloc("lnfMean", BT);
            lnfRstd = alloc("lnfRstd", BT);
            logits = alloc("logits", BT * config.vocabSize());
            losses = alloc("losses", BT);
            dresidual = alloc("dresidual", BT * C);
            dln = alloc("dln", BT * C);
            datty = alloc("datty", BT * C);
            dqkv = alloc("dqkv", BT * 3 * C);
            dfch = alloc("dfch", BT * inner);
            lnScratch = alloc("lnScratch", LayerNorm.scratchLength((int)BT, (int)C));
            ln1 = buffer("ln1", L * BT * C);
            attyInput = buffer("attyInput", L * BT * C);
            ln2 = buffer("ln2", L * BT * C);
            fchGelu = buffer("fchGelu", L * BT * inner);
            lnf = buffer("lnf", BT * C);
            dout = buffer("dout", BT * Math.max(Math.max(3 * C, inner), bf16 ? config.vocabSize() : 0));
        }

        @Override
        public void close() {
            for (final MatrixBuffer b : new MatrixBuffer[] {ln1, attyInput, ln2, fchGelu, lnf, dout}) {
                if (b != null) {
                    b.close();
                }
            }
        }

        private MatrixBuffer buffer(final String name, final long length) {
            if (length > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("activation " + name + " needs " + length
                    + " values, more than one buffer holds; lower the batch size or sequence length");
            }
            bytes += (bf16 ? Short.BYTES : Float.BYTES) * length;
            return gemm != null ? gemm.newBuffer(length, bf16) : null;
        }

        private float[] alloc(final String name, final long length) {
            if (length > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("activation " + name + " needs " + length
                    + " floats, more than one Java array holds; lower the batch size or sequence length");
            }
            bytes += Float.BYTES * length;
            return gemm != null ? new float[(int)length] : null;
        }
    }
}

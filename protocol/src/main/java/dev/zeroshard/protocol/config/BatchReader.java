package dev.zeroshard.protocol.config;

import dev.zeroshard.protocol.config.ResolvedValue.Source;

import static dev.zeroshard.protocol.config.BatchConfig.GRADIENT_ACCUMULATION_STEPS;
import static dev.zeroshard.protocol.config.BatchConfig.MICRO_BATCH_PER_GPU;
import static dev.zeroshard.protocol.config.BatchConfig.TRAIN_BATCH_SIZE;

/**
 * Reads the three batch keys and infers those not given as DeepSpeed does: any two determine the
 * third; {@code train_batch_size} alone means one accumulation step; {@code micro_batch} alone means
 * one accumulation step; otherwise the micro-batch is 1. {@code "auto"} counts as not given. Where
 * DeepSpeed would floor-divide, a remainder is an error that shows the arithmetic.
 */
final class BatchReader {
    private BatchReader() {
    }

    /** The batch config, or null when an error was recorded. */
    static BatchConfig read(final JsonFields root, final ResolveContext context) {
        final Resolution resolution = root.resolution();
        final int mark = resolution.errorCount();
        final Field<Long> train = root.integer(TRAIN_BATCH_SIZE, BatchConfig.TRAIN_BATCH_RANGE, true);
        final Field<Integer> micro = root.int32(MICRO_BATCH_PER_GPU, BatchConfig.MICRO_BATCH_RANGE, true);
        final Field<Integer> accum = root.int32(GRADIENT_ACCUMULATION_STEPS, BatchConfig.GRADIENT_ACCUMULATION_RANGE, true);
        if (resolution.errorCount() > mark) {
            return null;
        }
        final Inference inference = new Inference(root, context.worldSize());
        if (train.isGiven() && micro.isGiven() && accum.isGiven()) {
            inference.set(train.value(), micro.value(), accum.value());
        } else if (train.isGiven() && micro.isGiven()) {
            inference.fromTrainAndMicro(train.value(), micro.value(), accum);
        } else if (train.isGiven() && accum.isGiven()) {
            inference.fromTrainAndAccum(train.value(), accum.value(), micro);
        } else if (micro.isGiven() && accum.isGiven()) {
            inference.fromMicroAndAccum(micro.value(), accum.value(), train);
        } else if (train.isGiven()) {
            inference.fromTrainOnly(train.value(), micro, accum);
        } else if (micro.isGiven()) {
            inference.fromMicroOnly(micro.value(), train, accum);
        } else {
            inference.fromAccumOrNothing(train, micro, accum);
        }
        if (resolution.errorCount() > mark) {
            return null;
        }
        train.record(inference.train, inference.trainSource, inference.trainDetail);
        micro.record(inference.micro, inference.microSource, inference.microDetail);
        accum.record(inference.accum, inference.accumSource, inference.accumDetail);
        return resolution.build(mark,
            () -> new BatchConfig(inference.train, inference.micro, inference.accum, context.worldSize()));
    }

    /** The three values being worked out, each with where it came from. */
    private static final class Inference {
        private final JsonFields root;
        private final int worldSize;
        long train;
        int micro;
        int accum;
        Source trainSource = Source.FILE;
        Source microSource = Source.FILE;
        Source accumSource = Source.FILE;
        String trainDetail = "";
        String microDetail = "";
        String accumDetail = "";

        Inference(final JsonFields root, final int worldSize) {
            this.root = root;
            this.worldSize = worldSize;
        }

        void set(final long train, final int micro, final int accum) {
            this.train = train;
            this.micro = micro;
            this.accum = accum;
        }

        void fromTrainAndMicro(final long train, final int micro, final Field<Integer> accumField) {
            final long perStep = (long)micro * worldSize;
            final String divisor = "micro_batch(" + micro + ") * world_size(" + worldSize + ")";
            if (divides(train, perStep, divisor)) {
                set(train, micro, toInt(GRADIENT_ACCUMULATION_STEPS, train / perStep));
                accumSource = inferred(accumField);
                accumDetail = "train_batch_size(" + train + ") / (" + divisor + ")";
            }
        }

        void fromTrainAndAccum(final long train, final int accum, final Field<Integer> microField) {
            final long perMicro = (long)accum * worldSize;
            final String divisor = "grad_accum(" + accum + ") * world_size(" + worldSize + ")";
            if (divides(train, perMicro, divisor)) {
                set(train, toInt(MICRO_BATCH_PER_GPU, train / perMicro), accum);
                microSource = inferred(microField);
                microDetail = "train_batch_size(" + train + ") / (" + divisor + ")";
            }
        }

        void fromMicroAndAccum(final int micro, final int accum, final Field<Long> trainField) {
            set(product(micro, accum), micro, accum);
            trainSource = inferred(trainField);
            trainDetail = BatchConfig.formula(micro, accum, worldSize);
        }

        void fromTrainOnly(final long train, final Field<Integer> microField, final Field<Integer> accumField) {
            if (divides(train, worldSize, "world_size(" + worldSize + ")")) {
                set(train, toInt(MICRO_BATCH_PER_GPU, train / worldSize), BatchConfig.GRADIENT_ACCUMULATION_STEPS_DEFAULT);
                defaultAccum(accumField);
                microSource = inferred(microField);
                microDetail = "train_batch_size(" + train + ") / (grad_accum(" + accum + ") * world_size(" + worldSize + "))";
            }
        }

        void fromMicroOnly(final int micro, final Field<Long> trainField, final Field<Integer> accumField) {
            final int accumDefault = BatchConfig.GRADIENT_ACCUMULATION_STEPS_DEFAULT;
            set(product(micro, accumDefault), micro, accumDefault);
            defaultAccum(accumField);
            trainSource = inferred(trainField);
            trainDetail = BatchConfig.formula(micro, accumDefault, worldSize);
        }

        void fromAccumOrNothing(final Field<Long> trainField, final Field<Integer> microField, final Field<Integer> accumField) {
            final int microDefault = BatchConfig.MICRO_BATCH_PER_GPU_DEFAULT;
            final int accumValue = accumField.isGiven() ? accumField.value() : BatchConfig.GRADIENT_ACCUMULATION_STEPS_DEFAULT;
            set(product(microDefault, accumValue), microDefault, accumValue);
            microSource = defaulted(microField);
            microDetail = defaultDetail(microField);
            if (!accumField.isGiven()) {
                defaultAccum(accumField);
            }
            trainSource = inferred(trainField);
            trainDetail = BatchConfig.formula(microDefault, accumValue, worldSize);
        }

        private void defaultAccum(final Field<Integer> accumField) {
            accumSource = defaulted(accumField);
            accumDetail = defaultDetail(accumField);
        }

        private long product(final int micro, final int accum) {
            try {
                return BatchConfig.product(micro, accum, worldSize);
            } catch (final ArithmeticException ex) {
                root.error(TRAIN_BATCH_SIZE, BatchConfig.formula(micro, accum, worldSize) + " overflows a 64-bit integer");
                return 1;
            }
        }

        private boolean divides(final long train, final long divisor, final String divisorFormula) {
            if (train % divisor == 0) {
                return true;
            }
            root.error(TRAIN_BATCH_SIZE, "not divisible by " + divisorFormula
                + (divisorFormula.contains("*") ? " = " + divisor : ""));
            return false;
        }

        private int toInt(final String key, final long value) {
            if (value > Integer.MAX_VALUE) {
                root.error(TRAIN_BATCH_SIZE, "gives " + key + " = " + value + ", more than " + Integer.MAX_VALUE);
                return 1;
            }
            return (int)value;
        }

        private static Source inferred(final Field<?> field) {
            return field.isAuto() ? Source.AUTO : Source.INFERRED;
        }

        private static Source defaulted(final Field<?> field) {
            return field.isAuto() ? Source.AUTO : Source.DEFAULT;
        }

        private static String defaultDetail(final Field<?> field) {
            return field.isAuto() ? "default 1: no other key determines it" : "";
        }
    }
}

package dev.zeroshard.worker.train;

import dev.zeroshard.protocol.v1.DataSpec;
import dev.zeroshard.worker.data.BuiltinDataset;
import dev.zeroshard.worker.data.ByteTokenizer;
import dev.zeroshard.worker.data.Gpt2BpeTokenizer;
import dev.zeroshard.worker.data.TokenCache;
import dev.zeroshard.worker.data.TokenFile;
import dev.zeroshard.worker.data.TokenSequence;
import dev.zeroshard.worker.data.Tokenizer;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Opens the token sequence and tokenizer a job's {@link DataSpec} names. */
public final class TrainingData {
    private TrainingData() {
    }

    /** The tokenizer of a resolved data spec: {@code byte} or {@code gpt2:DIR}. */
    public static Tokenizer tokenizer(final DataSpec data) throws IOException {
        final String name = data.getTokenizer();
        if (name.equals("byte")) {
            return ByteTokenizer.instance();
        }
        if (name.startsWith("gpt2:")) {
            return Gpt2BpeTokenizer.fromDirectory(Path.of(name.substring("gpt2:".length())));
        }
        throw new IllegalArgumentException("data.tokenizer=\"" + name + "\": must be \"byte\" or \"gpt2:DIR\"");
    }

    /**
     * The job's tokens: the built-in data set generated from the seed, a token file read
     * memory-mapped, or a text/JSONL file tokenized once into a cached token file beside it.
     */
    public static TokenSequence open(final DataSpec data, final Tokenizer tokenizer, final long seed)
        throws IOException {
        return switch (data.getSourceCase()) {
            case BUILTIN -> BuiltinDataset.byName(data.getBuiltin())
                .generate(seed, BuiltinDataset.DEFAULT_LENGTH_TOKENS);
            case TOKEN_FILE -> TokenFile.open(existing("data.token_file", data.getTokenFile()));
            case TEXT_FILE -> TokenCache.tokenize(existing("data.text_file", data.getTextFile()),
                TokenCache.SourceFormat.TEXT, tokenizer);
            case JSONL_FILE -> TokenCache.tokenize(existing("data.jsonl_file", data.getJsonlFile()),
                TokenCache.SourceFormat.JSONL, tokenizer);
            case SOURCE_NOT_SET -> throw new IllegalArgumentException("data: no source set");
        };
    }

    /** The file a field names, refused with the field's name where it is not a readable file on this host. */
    private static Path existing(final String field, final String file) throws IOException {
        final Path path = Path.of(file);
        if (!Files.exists(path)) {
            throw new NoSuchFileException(file, null, "no such file on this host (" + field + ")");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new AccessDeniedException(file, null, "not a readable file (" + field + ")");
        }
        return path;
    }
}

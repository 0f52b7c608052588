/**
 * Training data: tokenizers ({@link dev.zeroshard.worker.data.ByteTokenizer},
 * {@link dev.zeroshard.worker.data.Gpt2BpeTokenizer}), token files in the llm.c / nanoGPT layout
 * ({@link dev.zeroshard.worker.data.TokenFile}, {@link dev.zeroshard.worker.data.TokenFileWriter}),
 * tokenizing text and JSONL once into a cached token file ({@link dev.zeroshard.worker.data.TokenCache}),
 * generated data that needs no download ({@link dev.zeroshard.worker.data.BuiltinDataset}) and the
 * batch loader with deterministic, world-size-independent shuffling
 * ({@link dev.zeroshard.worker.data.DataLoader}).
 *
 * <p>Threading: tokenizers and token sequences are immutable after construction and safe to share
 * between threads; a {@code DataLoader} and a {@code TokenFileWriter} belong to one thread (the
 * training loop's). File I/O happens here, so none of it may run on an actor's dispatcher.
 */
package dev.zeroshard.worker.data;

/**
 * Hugging Face safetensors interop: a memory-mapped {@link dev.zeroshard.checkpoints.safetensors.SafetensorsReader}
 * that treats every file as hostile and checks its header completely before handing out a byte, a streaming
 * {@link dev.zeroshard.checkpoints.safetensors.SafetensorsWriter} that commits by atomic rename, the
 * {@link dev.zeroshard.sharding.numeric.Bf16} and {@link dev.zeroshard.checkpoints.safetensors.Fp16}
 * conversions (reused by the worker's bf16 compute), and {@link dev.zeroshard.checkpoints.safetensors.Gpt2Safetensors},
 * which maps a Hugging Face GPT-2 file onto a {@link dev.zeroshard.sharding.layout.ParameterLayout}.
 *
 * <p>Threading: the conversions are stateless; a reader may be read from several threads at once (every read
 * maps its own window); a writer belongs to one thread.
 *
 * <p>Format (huggingface/safetensors README): 8 bytes little-endian unsigned header length {@code N}, {@code N}
 * bytes of UTF-8 JSON starting with {@code '{'} (trailing spaces allowed), then the data section. Each tensor's
 * {@code data_offsets} are {@code [begin, end)} byte offsets relative to the start of the data section; together
 * they tile the data section exactly (no overlap, no gap, nothing after the last tensor). Data is little-endian,
 * row-major, packed.
 */
package dev.zeroshard.checkpoints.safetensors;

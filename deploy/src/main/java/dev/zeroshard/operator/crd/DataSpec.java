package dev.zeroshard.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/** Where a {@link ZeroJob}'s tokens come from: exactly one source. */
@ValidationRule(value = "[has(self.builtin), has(self.textFile), has(self.jsonlFile), has(self.tokenFile)]"
    + ".filter(x, x).size() <= 1", message = "name at most one of builtin, textFile, jsonlFile, tokenFile")
public class DataSpec {
    @JsonPropertyDescription("A dataset that ships with zeroshard: 'patterns'.")
    public String builtin;

    @JsonPropertyDescription("A UTF-8 text file on the pods (e.g. on the checkpoint volume).")
    public String textFile;

    @JsonPropertyDescription("A JSON Lines file whose objects carry a 'text' field.")
    public String jsonlFile;

    @JsonPropertyDescription("A token file in the llm.c / nanoGPT layout (uint16 tokens).")
    public String tokenFile;

    @JsonPropertyDescription("'byte' (default) or 'gpt2:DIR' (GPT-2 BPE files in DIR).")
    public String tokenizer;

    @Min(1)
    @JsonPropertyDescription("Tokens per training sequence (default: the model's n_positions).")
    public Integer seqLen;
}

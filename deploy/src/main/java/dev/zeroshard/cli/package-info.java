/**
 * The {@code bin/zeroshard} command line (picocli). Commands run on the caller's thread and
 * return an exit status: 0 success, 1 invalid input (every problem listed), 2 usage errors.
 */
package dev.zeroshard.cli;

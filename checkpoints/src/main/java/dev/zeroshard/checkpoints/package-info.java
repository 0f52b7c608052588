/** zeroshard's checkpoints module; see the module README for what it owns. */
package dev.zeroshard.checkpoints;

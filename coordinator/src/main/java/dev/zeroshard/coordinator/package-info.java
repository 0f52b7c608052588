/** zeroshard's coordinator module; see the module README for what it owns. */
package dev.zeroshard.coordinator;

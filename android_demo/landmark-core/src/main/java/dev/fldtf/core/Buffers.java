package dev.fldtf.core;

import java.nio.Buffer;

/**
 * Position and limit changes through {@link Buffer}, not {@code ByteBuffer}: JDK 9+ added covariant
 * {@code ByteBuffer} overrides that older Android releases lack, so code compiled here against them
 * would throw {@code NoSuchMethodError} on such phones. Calling through {@code Buffer} links to the
 * methods every Android release has.
 */
final class Buffers {
  private Buffers() {}

  static void clear(Buffer b) {
    b.clear();
  }

  static void flip(Buffer b) {
    b.flip();
  }

  static void window(Buffer b, int start, int end) {
    b.limit(end);
    b.position(start);
  }
}

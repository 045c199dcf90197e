package dev.fldtf.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Reads test resources from the classpath (Gradle and run_tests.sh both put src/test/resources on it). */
final class TestFiles {
  private TestFiles() {}

  static String resource(String name) {
    try (InputStream in = TestFiles.class.getResourceAsStream("/" + name)) {
      if (in == null) throw new IllegalStateException("test resource /" + name + " is not on the classpath");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ModelCard sampleCard() {
    return ModelCard.parse(resource("cards/mtfl5_int8.json"), "cards/mtfl5_int8.json");
  }
}

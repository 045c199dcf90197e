package dev.fldtf.core;

import static org.junit.Assert.assertEquals;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Assume;
import org.junit.Test;

/**
 * The face check on real annotated faces: none may be rejected. The points (the 5 MTFL points of
 * each face, 68-point faces through fld_tf.schemes' subset5) are written by tests/test_android_core.py
 * from the datasets for the run and passed as {@code -Dfldtf.faces.file} (run_tests.sh: FACES_FILE);
 * without it the test is skipped.
 */
public class RealFacesTest {
  @Test
  public void noAnnotatedFaceFailsTheFaceCheck() throws Exception {
    String path = System.getProperty("fldtf.faces.file");
    Assume.assumeTrue("no -Dfldtf.faces.file", path != null && !path.isEmpty());
    Map<String, Object> doc = Json.object(Json.parse(GoldenVector.read(new File(path))), path);
    Subset5 identity = Subset5.forCard(TestFiles.sampleCard());
    int total = 0;
    List<String> rejected = new ArrayList<>();
    for (Map.Entry<String, Object> set : Json.object(doc.get("sets"), "sets").entrySet()) {
      List<Object> faces = Json.array(set.getValue(), set.getKey());
      for (int i = 0; i < faces.size(); i++) {
        String why = FacePresence.check(GoldenVector.floats(faces.get(i), set.getKey()), identity);
        if (why != null) rejected.add(set.getKey() + "[" + i + "]: " + why);
      }
      total += faces.size();
      System.out.println("face check on " + faces.size() + " annotated faces of " + set.getKey());
    }
    System.out.println("face check: " + rejected.size() + " of " + total + " real faces rejected");
    assertEquals(String.join("\n", rejected), 0, rejected.size());
  }
}

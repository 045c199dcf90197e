package dev.fldtf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/** Contours come from the card: the 68-point card written from fld_tf.schemes, by name and region. */
public class ContourTest {
  @Test
  public void ibug68ContoursByNameAndRegion() {
    List<String> names = new ArrayList<>();
    List<String> regions = new ArrayList<>();
    int closed = 0;
    for (Contour c : TestFiles.ibug68Card().contours) {
      names.add(c.name);
      regions.add(c.region);
      if (c.closed) closed++;
    }
    assertEquals(List.of("jaw", "left_brow", "right_brow", "nose_bridge", "nostrils", "left_eye", "right_eye",
        "outer_lips", "inner_lips"), names);
    assertEquals(List.of("jaw", "brows", "brows", "nose", "nose", "eyes", "eyes", "mouth", "mouth"), regions);
    assertEquals(4, closed); // eyes and lips
    Contour outerLips = TestFiles.ibug68Card().contours.get(7);
    int[] expected = new int[13];
    for (int i = 0; i < 12; i++) expected[i] = 48 + i;
    expected[12] = 48;
    assertArrayEquals(expected, outerLips.polyline());
  }

  @Test
  public void aTwoPointClosedContourIsNotDoubled() {
    assertArrayEquals(new int[] {96, 97}, new Contour("pupils", new int[] {96, 97}, true, "eyes").polyline());
  }
}

package dev.fldtf.core;

import java.util.ArrayList;
import java.util.List;
import org.junit.runner.Description;
import org.junit.runner.JUnitCore;
import org.junit.runner.Request;
import org.junit.runner.Result;
import org.junit.runner.notification.Failure;
import org.junit.runner.notification.RunListener;
import org.junit.internal.TextListener;

/**
 * Runs test classes as JUnitCore does, and ends with one plain line that counts skipped tests
 * (failed assumptions) apart from passed ones: {@code landmark-core: N passed, N failed, N skipped}.
 * Used by run_tests.sh; Gradle runs the same classes with its own runner.
 */
public final class JUnitMain {
  private JUnitMain() {}

  public static void main(String[] args) throws ClassNotFoundException {
    List<Class<?>> classes = new ArrayList<>();
    for (String name : args) classes.add(Class.forName(name));
    JUnitCore core = new JUnitCore();
    core.addListener(new TextListener(System.out));
    int[] skipped = {0};
    core.addListener(new RunListener() {
      @Override
      public void testAssumptionFailure(Failure failure) {
        skipped[0]++;
      }

      @Override
      public void testIgnored(Description description) {
        skipped[0]++;
      }
    });
    Result result = core.run(Request.classes(classes.toArray(new Class<?>[0])));
    int failed = result.getFailureCount();
    int passed = result.getRunCount() - failed - skipped[0];
    System.out.println("landmark-core: " + passed + " passed, " + failed + " failed, " + skipped[0] + " skipped");
    System.exit(result.wasSuccessful() ? 0 : 1);
  }
}

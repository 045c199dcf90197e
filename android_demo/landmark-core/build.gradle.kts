// The landmark core: plain Java 17, no Android classes, no third-party dependencies.
// The app depends on it; its JUnit 4 tests also run without Gradle: bash landmark-core/run_tests.sh
plugins {
    `java-library`
}

tasks.withType<JavaCompile>().configureEach {
    options.release.set(17)
}

dependencies {
    testImplementation(libs.junit)
}

tasks.test {
    // GoldenParityTest reads the vectors written by `python -m export.golden`; it fails if there are none.
    systemProperty("fldtf.golden.dir", layout.projectDirectory.dir("src/test/resources/golden").asFile.absolutePath)
}

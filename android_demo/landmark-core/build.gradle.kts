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

// The shipped models the tests read (ModelFileTest, TfliteModelFileTest): fld_tf/models or models.
val repoRoot = rootDir.resolve("..").normalize()
val modelsDir = listOf("fld_tf/models", "models").map { repoRoot.resolve(it) }
    .firstOrNull { dir -> dir.listFiles { f -> f.name.endsWith(".tflite") }.orEmpty().isNotEmpty() }
    ?: repoRoot.resolve("models")

tasks.test {
    useJUnit()
    // GoldenParityTest reads the vectors `python -m export.golden` writes (git-ignored). Absent, it is
    // skipped with that command; -Pfldtf.golden.required=true (CI) makes it fail instead.
    systemProperty("fldtf.golden.dir", layout.projectDirectory.dir("src/test/resources/golden").asFile.absolutePath)
    systemProperty("fldtf.golden.required", providers.gradleProperty("fldtf.golden.required").orElse("false").get())
    systemProperty("fldtf.models.dir", modelsDir.absolutePath)
    testLogging {
        events("skipped", "failed")
        showStandardStreams = true
    }
}

// Model assets, fetched or copied before every build (as the MediaPipe samples' download_models.gradle):
//   downloadDetector: MediaPipe's BlazeFace short-range face detector, once.
//   copyModels:       the repo's shipped models (*.tflite, each with its model card embedded; the
//                     *.json sidecar cards come along but are optional).
// Both write into src/main/assets (git-ignored). Run one alone with: ./gradlew :app:copyModels
// (Task actions only use local values, so they stay configuration-cache friendly.)

val assetDir = file("src/main/assets")
// The repo root is the folder above android_demo/; the shipped models live in the Python package.
val repoModels = rootDir.resolve("../fld_tf/models").normalize()

val downloadDetector = tasks.register("downloadDetector") {
    description = "Downloads the BlazeFace short-range detector into the app's assets (once)."
    val target = assetDir.resolve("blaze_face_short_range.tflite")
    val url = "https://storage.googleapis.com/mediapipe-models/face_detector/" +
        "blaze_face_short_range/float16/1/blaze_face_short_range.tflite"
    outputs.file(target)
    onlyIf { !target.exists() }
    doLast {
        target.parentFile.mkdirs()
        val partial = File(target.path + ".part")
        java.net.URI(url).toURL().openStream().use { input ->
            partial.outputStream().use { output -> input.copyTo(output) }
        }
        check(partial.renameTo(target)) { "could not move $partial to $target" }
    }
}

val copyModels = tasks.register<Copy>("copyModels") {
    description = "Copies the repo's models (*.tflite with embedded cards, *.json sidecars) into the app's assets."
    from(repoModels) {
        include("*.tflite", "*.json")
    }
    into(assetDir)
}

// Copy skips itself when there is nothing to copy, so the warning lives in a task that always runs.
val checkModels = tasks.register("checkModels") {
    description = "Warns when the app's assets hold no landmark model."
    dependsOn(copyModels)
    val assets = assetDir
    val source = repoModels
    doLast {
        val models = assets.listFiles { f -> f.name.endsWith(".tflite") && !f.name.startsWith("blaze_face") }.orEmpty()
        if (models.isEmpty()) {
            logger.warn("No landmark model in $assets: export one into $source first (README.md, 'Build and run').")
        }
    }
}

tasks.named("preBuild") {
    dependsOn(downloadDetector, checkModels)
}

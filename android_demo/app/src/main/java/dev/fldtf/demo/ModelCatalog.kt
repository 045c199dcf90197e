package dev.fldtf.demo

import android.content.res.AssetManager
import dev.fldtf.core.ModelCard
import dev.fldtf.core.ModelFile
import java.nio.ByteBuffer

/** A model the user can pick: its `.tflite` asset and the card read from it. */
data class ModelEntry(val asset: String, val card: ModelCard) {
    val label: String
        get() = "${card.name} · ${card.variant.ifEmpty { card.inputType.name.lowercase() }}"
}

/** The landmark models in assets (put there by `copyModels`), each with the card embedded in it. */
object ModelCatalog {
    /**
     * Every asset `*.tflite` (but the face detector) whose card, embedded in the model (or, for a
     * model exported without one, in a `.json` of the same name beside it), the core can honour and
     * whose tensors match that card ([ModelFile.readCard]). int8 (uint8-input) models come first:
     * they are the demo's default. Reads each model once: call it off the main thread.
     *
     * @return the entries, and one message per model that could not be used
     */
    fun load(assets: AssetManager): Pair<List<ModelEntry>, List<String>> {
        val names = assets.list("").orEmpty().toSet()
        val entries = mutableListOf<ModelEntry>()
        val problems = mutableListOf<String>()
        for (name in names.filter { it.endsWith(".tflite") && it != FaceBoxDetector.MODEL_ASSET }.sorted()) {
            val bytes = assets.open(name).use { it.readBytes() }
            val sidecarName = name.removeSuffix(".tflite") + ".json"
            val sidecar = if (sidecarName in names) {
                assets.open(sidecarName).bufferedReader().use { it.readText() }
            } else {
                null
            }
            try {
                entries += ModelEntry(name, ModelFile.readCard(ByteBuffer.wrap(bytes), name, sidecar))
            } catch (e: ModelCard.CardException) {
                problems += e.message ?: name
            }
        }
        entries.sortBy { if (it.card.inputType == ModelCard.InputType.FLOAT32) 1 else 0 }
        return entries to problems
    }
}

package dev.fldtf.demo

import android.content.res.AssetManager
import dev.fldtf.core.ModelCard

/** A model the user can pick: its card (from assets) and the card's asset name. */
data class ModelEntry(val cardAsset: String, val card: ModelCard) {
    val label: String
        get() = "${card.name} · ${card.variant.ifEmpty { card.inputType.name.lowercase() }}"
}

/** The models shipped in assets (by `copyModels`), found through their JSON model cards. */
object ModelCatalog {
    /**
     * Every asset `*.json` that is a model card and whose `model_file` is in assets too.
     * int8 (uint8-input) models come first: they are the demo's default.
     *
     * @return the entries, and one message per card that could not be used
     */
    fun load(assets: AssetManager): Pair<List<ModelEntry>, List<String>> {
        val names = assets.list("").orEmpty().toSet()
        val entries = mutableListOf<ModelEntry>()
        val problems = mutableListOf<String>()
        for (name in names.filter { it.endsWith(".json") }.sorted()) {
            val text = assets.open(name).bufferedReader().use { it.readText() }
            if (!text.contains(ModelCard.FORMAT)) continue // some other JSON
            try {
                val card = ModelCard.parse(text, name)
                if (card.modelFile in names) {
                    entries += ModelEntry(name, card)
                } else {
                    problems += "$name names model_file ${card.modelFile}, which is not in assets"
                }
            } catch (e: ModelCard.CardException) {
                problems += e.message ?: name
            }
        }
        entries.sortBy { if (it.card.inputType == ModelCard.InputType.UINT8) 0 else 1 }
        return entries to problems
    }
}

package dev.fldtf.demo

import android.content.res.AssetManager
import com.google.ai.edge.litert.Accelerator
import com.google.ai.edge.litert.CompiledModel
import dev.fldtf.core.InputTensorizer
import dev.fldtf.core.ModelCard

/**
 * The landmark model through LiteRT's CompiledModel API. Input dtype and size come from the card:
 * uint8 models take the RGB bytes as they are, float models the same 0..255 values as float32
 * (normalisation is inside the model). Output: `2K` floats, x, y interleaved, crop-normalised.
 *
 * Create, run and close it on one thread: the GPU accelerator is bound to the thread that created it.
 */
class LandmarkModel(assets: AssetManager, private val card: ModelCard, delegate: Delegate) : AutoCloseable {
    private val model = CompiledModel.create(
        assets,
        card.modelFile,
        CompiledModel.Options(if (delegate == Delegate.GPU) Accelerator.GPU else Accelerator.CPU),
        null,
    )
    private val inputs = model.createInputBuffers()
    private val outputs = model.createOutputBuffers()
    private val floats =
        if (card.inputType == ModelCard.InputType.FLOAT32) FloatArray(card.inputSize * card.inputSize * 3) else null

    /** Runs the model on `rgb` (`size * size * 3` uint8 RGB from [InputTensorizer]). */
    fun run(rgb: ByteArray): FloatArray {
        if (floats == null) {
            // LiteRT's Kotlin API names the 8-bit write after int8; it copies the raw bytes, which is
            // what a uint8 input tensor holds.
            inputs[0].writeInt8(rgb)
        } else {
            InputTensorizer.toFloats(rgb, floats)
            inputs[0].writeFloat(floats)
        }
        model.run(inputs, outputs)
        val out = outputs[0].readFloat()
        check(out.size == 2 * card.numPoints()) {
            "${card.modelFile} returned ${out.size} values; its card promises ${2 * card.numPoints()}"
        }
        return out
    }

    override fun close() {
        inputs.forEach { it.close() }
        outputs.forEach { it.close() }
        model.close()
    }
}

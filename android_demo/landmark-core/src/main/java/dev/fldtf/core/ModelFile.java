package dev.fldtf.core;

import java.nio.ByteBuffer;

/**
 * A {@code .tflite} landmark model and its card, checked against each other.
 *
 * <p>The card embedded in the model (metadata {@value ModelCard#METADATA_NAME}) is the one used, so
 * a model file copied on its own is enough; a sidecar {@code .json} is only needed for a model
 * exported without it. Either way the model's own input and output tensors must match the card.
 */
public final class ModelFile {
  private ModelFile() {}

  /**
   * @param tflite the whole model file (position 0 = file start)
   * @param source its file or asset name, for messages
   * @param sidecarJson the text of its {@code .json} card, or null when there is none
   * @return the card (embedded if present, else the sidecar's)
   * @throws ModelCard.CardException no card at all, a card the core cannot honour, or tensors that
   *     disagree with it; the message names {@code source}
   */
  public static ModelCard readCard(ByteBuffer tflite, String source, String sidecarJson) {
    TfliteModelFile file;
    String embedded;
    try {
      file = TfliteModelFile.read(tflite, source);
      embedded = file.metadataText(ModelCard.METADATA_NAME);
    } catch (TfliteModelFile.FormatException e) {
      throw new ModelCard.CardException(e.getMessage(), e);
    }
    ModelCard card;
    if (embedded != null) {
      card = ModelCard.parse(embedded, source + " (embedded card)");
    } else if (sidecarJson != null) {
      card = ModelCard.parse(sidecarJson, source + " (.json card)");
    } else {
      throw new ModelCard.CardException(source + ": no model card: none embedded (metadata \""
          + ModelCard.METADATA_NAME + "\") and no .json beside it; re-export it with python -m export.tflite", null);
    }
    checkTensors(card, file, source);
    return card;
  }

  /** Checks the model's single input and output tensor against {@code card}. */
  static void checkTensors(ModelCard card, TfliteModelFile file, String source) {
    try {
      TfliteModelFile.Tensor[] inputs = file.inputs();
      TfliteModelFile.Tensor[] outputs = file.outputs();
      if (inputs.length != 1 || outputs.length != 1) {
        throw new ModelCard.CardException(source + ": the model has " + inputs.length + " inputs and "
            + outputs.length + " outputs; a landmark model has one of each", null);
      }
      card.checkInputTensor(inputs[0].type, inputs[0].shape, inputs[0].scale, inputs[0].zeroPoint, source);
      card.checkOutputTensor(outputs[0].type, outputs[0].shape, source);
    } catch (TfliteModelFile.FormatException e) {
      throw new ModelCard.CardException(e.getMessage(), e);
    }
  }
}

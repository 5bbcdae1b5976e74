package org.xgradcam.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xgradcam.io.Npy;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * The pretrained models' preprocessing (shorter side, Pillow bilinear, centre crop, then each
 * model's formula) against the inputs recorded in ../shared/expected for the photos.
 */
class SharedInputsTest {

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({
        "squeezenet1.1-7-fp32, chelsea.png, chelsea",
        "squeezenet1.1-7-fp32, coffee.png, coffee",
        "squeezenet1.1-7-fp32, ILSVRC2012_val_00000077.JPEG, ILSVRC2012_val_00000077",
        "mobilenetv2-12-int8-dequant-fp32, coffee.png, coffee",
        "squeezenet1.0-tflite-fp32, chelsea.png, chelsea",
        "mobilenet_v1_0.25_128-quant-dequant-fp32, coffee.png, coffee",
    })
    void presetReproducesTheRecordedInput(String model, String photo, String stem) {
        FloatTensor expected = Npy.read(Fixtures.shared("expected/" + model + "/" + stem + "_input.npy"));
        int size = (int) expected.dim(2);
        Preprocessing p = switch (model) {
            case "squeezenet1.0-tflite-fp32" -> Preprocessing.imagenet(size).withScale(Preprocessing.Scale.SYMMETRIC)
                    .withMeanStd(new float[] {0, 0, 0}, new float[] {1, 1, 1});
            case "mobilenet_v1_0.25_128-quant-dequant-fp32" -> Preprocessing.imagenet(size).withScale(Preprocessing.Scale.BYTE)
                    .withMeanStd(new float[] {128, 128, 128}, new float[] {128, 128, 128});
            default -> Preprocessing.imagenet(size);
        };
        FloatTensor x = p.toTensor(p.fit(ImageLoader.load(Fixtures.shared("images/" + photo))));
        assertThat(x.shape()).isEqualTo(expected.shape());
        double max = 0;
        for (int i = 0; i < x.size(); i++) {
            max = Math.max(max, Math.abs(x.data()[i] - expected.data()[i]));
        }
        // one grey level is 1 / 255 / std ~ 0.017 after ImageNet normalisation
        assertThat(max).as("max abs difference to the recorded input").isLessThan(1e-5);
    }
}

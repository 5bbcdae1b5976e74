package org.xgradcam.cli;

import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.LayerCatalog;
import picocli.CommandLine.Option;

/** How a vision transformer's tokens lie on its patch grid, where xgradcam should not infer it. */
public class TokenOptions {
    @Option(names = "--token-grid", paramLabel = "HxW",
            description = "Patch grid of token layers [N, T, C] (default: the patch embedding's, else the nearest square).")
    String grid;

    @Option(names = "--prefix-tokens", paramLabel = "K",
            description = "Leading tokens before the grid's (class, distillation, registers; default: T - grid, at most 8).")
    Integer prefix;

    /** The layout asked for, or null for the inferred one; checked. */
    LayerCatalog.TokenLayout layout() {
        if (grid == null && prefix == null) {
            return null;
        }
        int h = 0;
        int w = 0;
        if (grid != null) {
            String[] p = grid.strip().toLowerCase(java.util.Locale.ROOT).split("x");
            try {
                if (p.length != 2) {
                    throw new NumberFormatException();
                }
                h = Integer.parseInt(p[0].strip());
                w = Integer.parseInt(p[1].strip());
            } catch (NumberFormatException e) {
                throw new XGradCamException("--token-grid needs HxW, e.g. 14x14; got '" + grid + "'");
            }
            if (h < 1 || w < 1 || h > 4096 || w > 4096) {
                throw new XGradCamException("--token-grid sides must be between 1 and 4096, got " + grid);
            }
        }
        if (prefix != null && (prefix < 0 || prefix > 64)) {
            throw new XGradCamException("--prefix-tokens must be between 0 and 64, got " + prefix);
        }
        return new LayerCatalog.TokenLayout(prefix == null ? -1 : prefix, h, w);
    }
}

package org.xgradcam.video;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import org.xgradcam.XGradCamException;
import org.xgradcam.image.RgbImage;
import org.xgradcam.io.AtomicFiles;

/**
 * Frames as an animated GIF that loops (ImageIO's GIF writer, each frame given its own palette;
 * the NETSCAPE2.0 extension for the loop), written atomically.
 */
public final class AnimatedGif {
    private AnimatedGif() {}

    /** The frames as GIF bytes, {@code delayMs} each (rounded to GIF's hundredths of a second). */
    public static byte[] encode(List<RgbImage> frames, int delayMs) {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("no frames");
        }
        ImageWriter w = ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var ios = ImageIO.createImageOutputStream(out)) {
            w.setOutput(ios);
            w.prepareWriteSequence(null);
            for (int i = 0; i < frames.size(); i++) {
                var img = frames.get(i).toBufferedImage();
                IIOMetadata meta = w.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img), null);
                String format = meta.getNativeMetadataFormatName();
                IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(format);
                IIOMetadataNode gce = child(root, "GraphicControlExtension");
                gce.setAttribute("disposalMethod", "none");
                gce.setAttribute("userInputFlag", "FALSE");
                gce.setAttribute("transparentColorFlag", "FALSE");
                gce.setAttribute("delayTime", String.valueOf(Math.max(2, Math.round(delayMs / 10f))));
                gce.setAttribute("transparentColorIndex", "0");
                if (i == 0) {
                    IIOMetadataNode apps = child(root, "ApplicationExtensions");
                    IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
                    app.setAttribute("applicationID", "NETSCAPE");
                    app.setAttribute("authenticationCode", "2.0");
                    app.setUserObject(new byte[] {1, 0, 0}); // loop for ever
                    apps.appendChild(app);
                }
                meta.setFromTree(format, root);
                w.writeToSequence(new IIOImage(img, null, meta), null);
            }
            w.endWriteSequence();
        } catch (IOException e) {
            throw new XGradCamException("cannot encode an animated GIF: " + e.getMessage(), e);
        } finally {
            w.dispose();
        }
        return out.toByteArray();
    }

    public static void save(List<RgbImage> frames, int delayMs, Path file) {
        AtomicFiles.write(file, encode(frames, delayMs));
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) {
                return (IIOMetadataNode) root.item(i);
            }
        }
        IIOMetadataNode n = new IIOMetadataNode(name);
        root.appendChild(n);
        return n;
    }
}

package org.xgradcam.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.xgradcam.XGradCamException;
import org.xgradcam.validation.InputFiles;
import org.xgradcam.validation.IoErrors;
import org.xgradcam.onnx.proto.OnnxProto.ModelProto;
import org.xgradcam.onnx.proto.OnnxProto.OperatorSetIdProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;

/**
 * An ONNX model read from a file or bytes, with the folder its external data files (if any) are
 * resolved against. Reading validates enough of the structure that later stages can trust it.
 */
public final class OnnxModel {
    /** The ONNX default operator domain, spelled either way in files. */
    public static boolean isDefaultDomain(String domain) {
        return domain.isEmpty() || domain.equals("ai.onnx");
    }

    private final ModelProto proto;
    private final Path baseDir;
    private final String source;
    /** The mapped file the weights are read from, or null for a model built in memory. */
    private final MappedFile mapped;

    /** A file mapped into memory, as it was when mapped (its weights must not change under us). */
    record MappedFile(Path path, long size, java.nio.file.attribute.FileTime modified) {
        /** Refuses to go on if the file was rewritten since: its mapped pages would no longer hold the model. */
        void requireUnchanged(String source) {
            try {
                if (Files.size(path) == size && Files.getLastModifiedTime(path).equals(modified)) {
                    return;
                }
            } catch (IOException e) {
                // gone or unreadable: changed as far as we can tell
            }
            throw new XGradCamException("model file " + source + " changed on disk since it was loaded (rewritten in"
                    + " place?); load it again (restart, or open a new Explainer); replace model files by renaming a new"
                    + " file over them");
        }
    }

    public OnnxModel(ModelProto proto, Path baseDir, String source) {
        this(proto, baseDir, source, null);
    }

    private OnnxModel(ModelProto proto, Path baseDir, String source, MappedFile mapped) {
        this.proto = proto;
        this.baseDir = baseDir;
        this.source = source;
        this.mapped = mapped;
        validate();
    }

    /** The file this model's weights are mapped from, or null. */
    MappedFile mapped() {
        return mapped;
    }

    /** Protobuf's ceiling for one message: larger models keep their weights in external data files. */
    public static final long MAX_FILE_BYTES = Integer.MAX_VALUE;

    public static OnnxModel load(Path file) {
        if (!Files.exists(file) && !Files.isSymbolicLink(file)) {
            throw new XGradCamException("model file not found: " + file, XGradCamException.Advice.MODELS);
        }
        long size = InputFiles.requireRegularFile(file, "model");
        if (size > MAX_FILE_BYTES) {
            throw new XGradCamException("model " + file + " is larger than 2 GB, the most one ONNX file can hold; a model"
                    + " this large keeps its weights in external data files (onnx.save(..., save_as_external_data=True))");
        }
        // the weights stay in the file, mapped into memory: the parsed model refers to them
        // there (no copy on the heap), and sessions read them from there
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            MappedFile identity = new MappedFile(file.toAbsolutePath(), ch.size(), Files.getLastModifiedTime(file));
            java.nio.MappedByteBuffer mapped = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, ch.size());
            CodedInputStream coded = com.google.protobuf.UnsafeByteOperations.unsafeWrap(mapped).newCodedInput();
            coded.enableAliasing(true);
            OnnxModel model = new OnnxModel(parse(coded, file.toString()), file.toAbsolutePath().getParent(), file.toString(),
                    identity);
            ModelValidation.check(model, file);
            return prepared(model);
        } catch (NoSuchFileException e) {
            throw new XGradCamException("model file not found: " + file);
        } catch (IOException e) {
            throw new XGradCamException("cannot read model file " + file + ": " + IoErrors.describe(e), e);
        }
    }

    public static OnnxModel fromBytes(byte[] bytes, String source) {
        try {
            OnnxModel model = new OnnxModel(parse(CodedInputStream.newInstance(bytes), source), null, source);
            ModelValidation.check(model, null);
            return prepared(model);
        } catch (IOException e) {
            throw new XGradCamException("cannot read model " + source + ": " + e.getMessage(), e);
        }
    }

    /**
     * A checked model made ready to explain, its computation unchanged: an image without a batch
     * axis given one, an fp16/bf16/fp64 image input fed float32 through a Cast, and a QOperator
     * model's quantized maps given their float32 meaning under their names.
     */
    private static OnnxModel prepared(OnnxModel model) {
        return GraphSurgery.withDequantizedMaps(GraphSurgery.withBatchAxis(GraphSurgery.withFloatInput(model)));
    }

    private static ModelProto parse(CodedInputStream coded, String source) throws IOException {
        coded.setSizeLimit(Integer.MAX_VALUE); // protobuf's own ceiling; bigger models use external data
        coded.setRecursionLimit(1000);
        try {
            return ModelProto.parseFrom(coded);
        } catch (InvalidProtocolBufferException e) {
            throw new XGradCamException(source + " is not a valid ONNX model (the file is truncated or not ONNX: "
                    + e.getMessage() + "); re-export or re-download it", e);
        }
    }

    private void validate() {
        if (!proto.hasGraph() || proto.getGraph().getNodeCount() == 0) {
            throw new XGradCamException(source + " is not a valid ONNX model: it holds no graph"
                    + " (is it an ONNX file? re-export or re-download it)");
        }
        if (proto.getIrVersion() <= 0 || proto.getOpsetImportCount() == 0) {
            throw new XGradCamException(source + " is not a valid ONNX model: no IR version or operator set"
                    + " (is it an ONNX file? re-export or re-download it)");
        }
        long opset = opset();
        if (opset < 7 || opset > 22) {
            throw new XGradCamException(source + " uses ONNX operator set " + opset
                    + "; supported are 7 to 22 (convert it with onnx.version_converter)");
        }
        if (proto.getGraph().getInputCount() == 0 || proto.getGraph().getOutputCount() == 0) {
            throw new XGradCamException(source + " has no graph input or output");
        }
    }

    public ModelProto proto() {
        return proto;
    }

    /** The folder external data files are resolved against; null for models read from bytes. */
    public Path baseDir() {
        return baseDir;
    }

    public String source() {
        return source;
    }

    /** The version of the default (ai.onnx) operator set. */
    public long opset() {
        for (OperatorSetIdProto id : proto.getOpsetImportList()) {
            if (isDefaultDomain(id.getDomain())) {
                return id.getVersion();
            }
        }
        return 1;
    }

    public boolean usesExternalData() {
        for (TensorProto t : proto.getGraph().getInitializerList()) {
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                return true;
            }
        }
        return false;
    }

    public OnnxModel withProto(ModelProto newProto) {
        return new OnnxModel(newProto, baseDir, source, mapped);
    }

    public byte[] toBytes() {
        return proto.toByteArray();
    }
}

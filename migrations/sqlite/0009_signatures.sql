-- A version's inputs and outputs, read from its MLmodel file or ONNX graph whenever its files
-- change: JSON {"inputs": [{"name", "type", "shape"}], "outputs": [...], "source", "kind"}, or
-- NULL when no file declares them. signature_note says, for people, why a file that should have
-- declared them could not be read.
ALTER TABLE versions ADD COLUMN signature TEXT;
ALTER TABLE versions ADD COLUMN signature_note TEXT;

// Datasets: IDX files (MNIST, Fashion-MNIST), image/label pairs, the 10,000 MNIST digits shipped in
// data/mnist/. Depends only on runtime/.
export {
  readIdx, readIdxSync, parseIdxHeader, IDX_DEFAULT_MAX_BYTES,
  type IdxArray, type IdxDtype, type IdxData, type IdxOptions, type IdxHeader,
} from "./idx.js";
export { imagesAndLabels, loadIdxDir, oneHot, type Dataset } from "./datasets.js";
export { loadEmbeddedMnist, embeddedMnistOrder, EMBEDDED_MNIST_SIZE, type EmbeddedMnistOptions } from "./mnist.js";
export { randomShift } from "./augment.js";
export { loadEmbeddedCorpus, readTextFile, splitText, decodeUtf8, decodeGzippedText, EMBEDDED_CORPUS_DESCRIPTION, TEXT_DEFAULT_MAX_BYTES, type GzippedTextOptions } from "./text.js";

// The local-cloud operator context lives in lib/local (so saga-choreography/testing can use it).
export { localOperatorContext } from '../../local/operator-context.js';

/**
 * Entry of `/static/insight-iframe.js`, loaded by the iframe page next to the
 * embed script (which defines the components).
 */
import { startIframeBridge } from './iframe-bridge.ts';

void startIframeBridge();

import { conformance } from './conformance.js';
import { memory, tcpSocket, tlsSocket, unixSocket, webSocket, webSocketTls } from './harness.js';

conformance('memory', memory);
conformance('unix', unixSocket);
conformance('tcp', tcpSocket);
conformance('tls (mutual auth)', tlsSocket);
conformance('ws', webSocket);
conformance('wss (mutual auth)', webSocketTls);

import ImageGate
